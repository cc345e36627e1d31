/**
 * A table as /bulk reads it: pasted lines (CSV, or TSV as a sheet copies them) or a CSV / XLSX file, the first row
 * naming the columns in Chinese or English. Parsing is csv-parse's and exceljs's, not hand-written splitting: quoted
 * cells with commas or line breaks, a BOM, ragged rows and Excel's rich and formula cells all read as a person sees them.
 */
import { parse } from 'csv-parse/sync';
import { listOf, t, type Text } from '../src/i18n.js';

/** The most rows one batch takes: a plan card names every invalid row, and a run's steps live in one record. */
export const MAX_ROWS = 500;

export interface Table {
  /** The header cells as written. */
  header: string[];
  /** Data rows with their 1-based row number in the table as the sheet numbers it (the header is row 1). */
  rows: { n: number; cells: string[] }[];
}

export type TableResult = { ok: true; table: Table } | { ok: false; problem: Text };

/** A table that could not be read, and why. */
export const refused = (problem: Text): TableResult => ({ ok: false, problem });

/** Names (columns, people) listed as each language lists them. */

function tableOf(records: string[][]): TableResult {
  const nonEmpty = records
    .map((cells, i) => ({ n: i + 1, cells: cells.map((c) => c.trim()) }))
    .filter((r) => r.cells.some((c) => c !== ''));
  const [head, ...rows] = nonEmpty;
  if (!head || rows.length === 0) return refused(t('bulk.table.none'));
  if (rows.length > MAX_ROWS) return refused(t('bulk.table.tooMany', { n: rows.length, max: MAX_ROWS }));
  return { ok: true, table: { header: head.cells, rows } };
}

/** Pasted text: tab-separated when the header has a tab (a sheet's copy), else comma-separated. */
export function parseText(text: string): TableResult {
  const firstLine = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  const delimiter = firstLine.includes('\t') ? '\t' : firstLine.includes('，') && !firstLine.includes(',') ? '，' : ',';
  try {
    const records = parse(text, {
      delimiter,
      bom: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
    }) as string[][];
    return tableOf(records);
  } catch (err) {
    const line = (err as { lines?: number }).lines;
    return refused(line ? t('bulk.table.unreadableAt', { line }) : t('bulk.table.unreadable'));
  }
}

/** An XLSX workbook's first sheet, each cell as its text. */
export async function parseXlsx(bytes: Buffer): Promise<TableResult> {
  // Loaded on the first workbook: exceljs costs the bot's start-up a tenth of a second otherwise.
  const { default: ExcelJS } = await import('exceljs');
  const book = new ExcelJS.Workbook();
  try {
    await book.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch {
    return refused(t('bulk.table.notXlsx'));
  }
  const sheet = book.worksheets[0];
  if (!sheet) return tableOf([]);
  const records: string[][] = [];
  sheet.eachRow({ includeEmpty: true }, (row, n) => {
    const cells: string[] = [];
    row.eachCell({ includeEmpty: true }, (cell, col) => {
      cells[col - 1] = cell.text;
    });
    records[n - 1] = Array.from(cells, (c) => c ?? '');
  });
  return tableOf(Array.from(records, (r) => r ?? []));
}

/** A file by its name: .csv (or .tsv / .txt) as text, .xlsx as a workbook; anything else is refused. */
export async function parseFile(name: string, bytes: Buffer): Promise<TableResult> {
  const ext = name.toLowerCase().split('.').pop() ?? '';
  if (ext === 'xlsx') return parseXlsx(bytes);
  if (ext === 'csv' || ext === 'tsv' || ext === 'txt') return parseText(bytes.toString('utf8'));
  return refused(t('bulk.table.extension', { ext }));
}

/** Column names a person may write for one field: compared without case, spaces, underscores or hyphens. */
export type Columns<F extends string> = Record<F, readonly string[]>;

const norm = (s: string): string => s.toLowerCase().replace(/[\s_\-（）()]/g, '');

/**
 * Which field each header cell names; the problem names the unknown headers and the names each field takes.
 * A field named twice is refused too (which of the two would count is a guess).
 */
export function mapHeader<F extends string>(
  header: string[],
  columns: Columns<F>,
): { ok: true; fields: (F | undefined)[] } | { ok: false; problem: Text } {
  const lookup = new Map<string, F>();
  for (const [field, names] of Object.entries(columns) as [F, readonly string[]][])
    for (const n of [field, ...names]) lookup.set(norm(n), field);
  const fields = header.map((h) => (h === '' ? undefined : lookup.get(norm(h))));
  const unknown = header.filter((h, i) => h !== '' && fields[i] === undefined);
  const seen = fields.filter((f, i): f is F => f !== undefined && fields.indexOf(f) !== i);
  if (unknown.length || seen.length) {
    const valid = (Object.entries(columns) as [F, readonly string[]][])
      .map(([f, names]) => [f, ...names].join('/'))
      .join('; ');
    const problem = unknown.length
      ? t('bulk.table.unknownColumns', { columns: listOf(unknown), valid })
      : t('bulk.table.repeatedColumns', { columns: listOf(seen), valid });
    return { ok: false, problem };
  }
  return { ok: true, fields };
}
