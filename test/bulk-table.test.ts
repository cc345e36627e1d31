/** The tables /bulk reads: pasted CSV and TSV, and an XLSX workbook, with headers in Chinese or English. */
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { mapHeader, parseFile, parseText } from '../handlers/bulk-table.js';

const columns = { name: ['姓名'], email: ['邮箱'], company: ['公司'] };

describe('bulk tables', () => {
  it('reads pasted CSV with quoted commas and line breaks, numbering rows as the sheet does', () => {
    const r = parseText('姓名,邮箱,公司\n张三,zs@example.com,"张三科技, 北京"\n\n"李\n四",ls@example.com,');
    expect(r).toEqual({
      ok: true,
      table: {
        header: ['姓名', '邮箱', '公司'],
        rows: [
          { n: 2, cells: ['张三', 'zs@example.com', '张三科技, 北京'] },
          { n: 3, cells: ['李\n四', 'ls@example.com', ''] },
        ],
      },
    });
  });

  it('reads a sheet pasted as TSV and maps English and Chinese headers alike', () => {
    const r = parseText('Name\tE-mail\t公司\n王五\tww@example.com\t五金');
    if (!r.ok) throw new Error('not read');
    expect(mapHeader(r.table.header, { ...columns, email: ['邮箱', 'e-mail'] })).toEqual({
      ok: true,
      fields: ['name', 'email', 'company'],
    });
  });

  it('names unknown and repeated columns with the names each field takes', () => {
    const r = mapHeader(['姓名', 'fax', 'name'], columns);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problem.en_us).toContain('unknown columns: fax (valid: name/姓名; email/邮箱; company/公司)');
    expect(!r.ok && r.problem.zh_cn).toContain('不认识的列：fax（可用：name/姓名; email/邮箱; company/公司）');
    expect(mapHeader(['姓名', 'name'], columns)).toMatchObject({
      ok: false,
      problem: { en_us: expect.stringContaining('columns given twice: name') },
    });
  });

  it('reads the first sheet of an XLSX file, and refuses other files', async () => {
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('联系人');
    sheet.addRow(['姓名', '邮箱']);
    sheet.addRow(['赵六', 'zl@example.com']);
    sheet.addRow([]);
    sheet.addRow(['钱七', { text: 'qq@example.com', hyperlink: 'mailto:qq@example.com' }]);
    const bytes = Buffer.from(await book.xlsx.writeBuffer());
    expect(await parseFile('partners.XLSX', bytes)).toEqual({
      ok: true,
      table: {
        header: ['姓名', '邮箱'],
        rows: [
          { n: 2, cells: ['赵六', 'zl@example.com'] },
          { n: 4, cells: ['钱七', 'qq@example.com'] },
        ],
      },
    });
    expect(await parseFile('x.xlsx', Buffer.from('not a zip'))).toMatchObject({ ok: false });
    expect(await parseFile('x.pdf', Buffer.from(''))).toMatchObject({
      ok: false,
      problem: { en_us: expect.stringContaining('.pdf'), ja_jp: expect.stringContaining('.pdf') },
    });
  });
});
