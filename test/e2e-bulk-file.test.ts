/**
 * /bulk from a file, end to end: the user's file message goes through the emulator's control API over HTTP, the bot
 * downloads it with the SDK's message resource call, and the plan, Apply and the contacts are those of pasted rows.
 * `/bulk contacts` alone waits for the next file; a reply `/bulk contacts` to a file message reads that file.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MAX_FILE_BYTES } from '../handlers/bulk-file.js';
import type { Message } from '../src/emulator/state.js';
import { callsTo, eventually, mailState, readCard } from './helpers/provisioning.js';
import { testSandbox } from './helpers/sandbox.js';

const MAILBOX = 'zhangwei@feishu-ops.example';
let sb: Awaited<ReturnType<typeof testSandbox>>;
beforeAll(async () => {
  sb = await testSandbox();
});
afterAll(async () => sb?.close());

const contacts = () => mailState(sb.emulator).contacts[MAILBOX] ?? [];

async function control(path: string, body: unknown): Promise<{ messageId: string }> {
  const res = await fetch(`${sb.emulator.url}/_emulator/events/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as { messageId: string };
}

/** 张伟 sends a file to the bot (p2p); resolves with the bot's one reply to it. */
async function sendFile(fileName: string, bytes: Buffer): Promise<{ file: string; reply: Message }> {
  const { messageId } = await control('file', { from: '张伟', fileName, contentBase64: bytes.toString('base64') });
  const [reply] = await sb.replies(messageId, 1, 20_000);
  return { file: messageId, reply: reply! };
}

async function applyAndWait(plan: Message, total: number): Promise<void> {
  await sb.delivery.click({ messageId: plan.messageId, by: '张伟', action: 'bulk.apply-contacts' });
  await eventually(() => expect(contacts()).toHaveLength(total), 20_000);
}

it('takes a CSV file sent after /bulk contacts: plan card, Apply, contacts made', async () => {
  const [ask] = await sb.replies(await sb.say('张伟', '/bulk contacts'));
  expect(readCard(ask!.card)).toContain('Send a CSV or XLSX file here within 5 minutes');

  const csv = '姓名,邮箱,公司\n文件甲,jia@partner.example,"甲, 有限公司"\n文件乙,yi@partner.example,乙\n,bad,丙\n';
  const { reply: plan } = await sendFile('partners.csv', Buffer.from(`\uFEFF${csv}`));
  const text = readCard(plan.card);
  expect(text).toContain('**将创建**：2');
  expect(text).toContain('**无效**：1');
  expect(contacts()).toHaveLength(0);
  // Read with the message resource API, type=file, as the tenant.
  const downloads = callsTo(sb.emulator, '/open-apis/im/v1/messages/', 'GET').filter((c) =>
    c.path.includes('/resources/'),
  );
  expect(downloads).toHaveLength(1);
  expect(downloads[0]!.status).toBe(200);

  await applyAndWait(plan, 2);
  expect(contacts().map((c) => [c.name, c.mail_address])).toEqual([
    ['文件甲', 'jia@partner.example'],
    ['文件乙', 'yi@partner.example'],
  ]);

  // The wait was taken by that file: the next file gets the hint, not a second plan.
  const { reply: hint } = await sendFile('again.csv', Buffer.from(csv));
  expect(readCard(hint.card)).toContain('reply to the file message with /bulk');
}, 60_000);

it('reads an XLSX file that /bulk contacts replies to', async () => {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('伙伴');
  sheet.addRow(['name', 'email', 'position']);
  sheet.addRow(['表格丙', 'bing@partner.example', '经理']);
  sheet.addRow(['表格丁', { text: 'ding@partner.example', hyperlink: 'mailto:ding@partner.example' }, '顾问']);
  const bytes = Buffer.from(await book.xlsx.writeBuffer());

  // Sent with no /bulk waiting: a hint how to use it, no download.
  const { file, reply: hint } = await sendFile('伙伴名单.xlsx', bytes);
  expect(readCard(hint.card)).toContain('收到表格文件');
  const { messageId } = await control('message', { from: '张伟', text: '/bulk contacts', parentId: file });
  const [plan] = await sb.replies(messageId, 1, 20_000);
  expect(readCard(plan!.card)).toContain('**将创建**：2');

  const before = contacts().length;
  await applyAndWait(plan!, before + 2);
  expect(
    contacts()
      .slice(before)
      .map((c) => c.mail_address),
  ).toEqual(['bing@partner.example', 'ding@partner.example']);
}, 60_000);

it('refuses a file of another type, naming the formats it accepts, without downloading it', async () => {
  await sb.replies(await sb.say('张伟', '/bulk contacts'));
  const before = callsTo(sb.emulator, '/open-apis/im/v1/messages/', 'GET').length;
  const { reply } = await sendFile('名单.pdf', Buffer.from('%PDF-1.4'));
  const text = readCard(reply.card);
  expect(text).toContain('无法读取表格');
  expect(text).toContain('only CSV (.csv, .tsv, .txt) or XLSX (.xlsx) files are accepted');
  expect(callsTo(sb.emulator, '/open-apis/im/v1/messages/', 'GET')).toHaveLength(before);
});

it('refuses a file over the size cap with a card that says so', async () => {
  await sb.replies(await sb.say('张伟', '/bulk contacts'));
  const row = '某人,someone@partner.example,公司\n';
  const big = Buffer.from(`name,email,company\n${row.repeat(Math.ceil((MAX_FILE_BYTES + 1) / row.length))}`);
  const { reply } = await sendFile('huge.csv', big);
  const text = readCard(reply.card);
  expect(text).toContain('"huge.csv" is over 10 MB');
  expect(text).toContain('Send a CSV or XLSX file');
}, 60_000);

it('says so when /bulk replies to a message that is not a file', async () => {
  const text = await sb.say('张伟', '随便说点什么');
  await sb.replies(text);
  const { messageId } = await control('message', { from: '张伟', text: '/bulk contacts', parentId: text });
  const [reply] = await sb.replies(messageId);
  expect(readCard(reply!.card)).toContain('The message you replied to is not a file');
});
