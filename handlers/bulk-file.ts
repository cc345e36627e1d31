/**
 * /bulk from a CSV or XLSX file. Feishu file messages carry no text, so the command cannot ride on the file: it is
 * either a reply `/bulk <kind>` to the file message (its parent_id), or `/bulk <kind>` alone, after which the bot
 * takes the next file that person sends in that chat within WAIT_MINUTES. The file is read with the message resource
 * API ("获取消息中的资源文件"), at most MAX_FILE_BYTES, and then planned exactly as pasted rows.
 */
import { z } from 'zod';
import { successCard, type Bilingual, type Card } from '../cards/index.js';
import { fileOf, type SentFile } from '../src/events.js';
import { FileTooLarge } from '../src/feishu/ports.js';
import { keyspace } from '../src/store/keyspace.js';
import { KINDS, type KindName } from './bulk-kinds.js';
import { MAX_ROWS, parseFile, type TableResult } from './bulk-table.js';
import type { Ctx } from './provision.js';

/** 500 rows are some 100 KB of CSV; 10 MB leaves room for a styled workbook and keeps the bot's memory bounded. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;
const WAIT_MINUTES = 5;
const ACCEPTED = ['csv', 'tsv', 'txt', 'xlsx'];

/** `/bulk <kind>` without rows, waiting for its file; `takenBy`: the file message that took it (redeliveries). */
const waiting = keyspace(
  'bulk-file-wait',
  z.object({ kind: z.enum(KINDS), takenBy: z.string().optional() }),
  WAIT_MINUTES * 60_000,
);
const waitId = (ctx: Ctx): string => `${ctx.chatId ?? 'p2p'}:${ctx.sender.openId}`;

const problem = (zh: string, en: string): TableResult => ({ ok: false, problem: { zh, en } });

/** Records that the sender's next file here is for `/bulk kind`; the card says to send it. */
export async function awaitFile(ctx: Ctx, kind: KindName, columns: string): Promise<Card> {
  await waiting.set(ctx.store, waitId(ctx), { kind });
  return successCard({
    title: { zh: `请发送表格文件（/bulk ${kind}）`, en: `Send the table file (/bulk ${kind})` },
    summary: {
      zh: `${WAIT_MINUTES} 分钟内在这里发送 CSV 或 XLSX 文件（第一行是列名，最多 ${MAX_ROWS} 行），或者重新发送 /bulk ${kind} 并在下一行起粘贴表格。也可以回复一个已发送的文件：/bulk ${kind}。`,
      en: `Send a CSV or XLSX file here within ${WAIT_MINUTES} minutes (column names in the first row, at most ${MAX_ROWS} rows), or send /bulk ${kind} again with the table pasted on the next lines. You can also reply /bulk ${kind} to a file already sent.`,
    },
    fields: [{ label: { zh: '列', en: 'Columns' }, value: columns }],
    tone: 'info',
  });
}

/** The kind a file from the sender here is for, if a `/bulk <kind>` is waiting for it (taken once, by this file). */
export async function takeWaiting(ctx: Ctx): Promise<KindName | undefined> {
  const w = await waiting.get(ctx.store, waitId(ctx));
  if (!w || (w.takenBy !== undefined && w.takenBy !== ctx.messageId)) return undefined;
  await waiting.set(ctx.store, waitId(ctx), { ...w, ...(ctx.messageId ? { takenBy: ctx.messageId } : {}) });
  return w.kind;
}

/** A table file nobody asked for: how to use it. Any other file is not ours to answer. */
export function fileHint(file: SentFile): Card | undefined {
  if (!ACCEPTED.includes(extension(file.fileName))) return undefined;
  return successCard({
    tone: 'info',
    title: { zh: '收到表格文件', en: 'Got a table file' },
    summary: {
      zh: `要按这个文件批量创建，请回复这条文件消息：/bulk <groups|members|mailgroups|contacts|hires>，或先发送 /bulk <类型> 再发文件。`,
      en: 'To create from this file, reply to the file message with /bulk <groups|members|mailgroups|contacts|hires>, or send /bulk <kind> first and then the file.',
    },
  });
}

/** The table in the message the command replies to: it must be a file message with a CSV or XLSX. */
export async function tableOfMessage(ctx: Ctx, messageId: string): Promise<TableResult> {
  const m = await ctx.gateway.im.getMessage(messageId);
  const file = m.msgType === 'file' ? fileOf(m.content) : undefined;
  if (!file)
    return problem(
      '回复的消息不是文件：请回复 CSV 或 XLSX 文件消息，或在命令下一行起粘贴表格',
      'The message you replied to is not a file: reply to a CSV or XLSX file message, or paste the table after the command',
    );
  return tableOfFile(ctx, messageId, file);
}

/** Downloads and reads a sent file, by its extension; other formats are refused before any download. */
export async function tableOfFile(ctx: Ctx, messageId: string, file: SentFile): Promise<TableResult> {
  const ext = extension(file.fileName);
  if (!ACCEPTED.includes(ext))
    return problem(
      `不支持「${file.fileName}」：只接受 CSV（.csv、.tsv、.txt）或 XLSX（.xlsx）文件`,
      `"${file.fileName}" is not supported: only CSV (.csv, .tsv, .txt) or XLSX (.xlsx) files are accepted`,
    );
  let bytes: Buffer;
  try {
    bytes = await ctx.gateway.im.downloadFile(messageId, file.fileKey, { maxBytes: MAX_FILE_BYTES });
  } catch (err) {
    if (!(err instanceof FileTooLarge)) throw err;
    const mb = MAX_FILE_BYTES / 1024 / 1024;
    return problem(
      `「${file.fileName}」超过 ${mb} MB：一次最多 ${MAX_ROWS} 行，请去掉多余的工作表、图片和格式，或拆成几个文件`,
      `"${file.fileName}" is over ${mb} MB: a batch takes at most ${MAX_ROWS} rows, so drop extra sheets, images and styling, or split it`,
    );
  }
  return parseFile(file.fileName, bytes);
}

/** Where the table came from, for the error card's next step. */
export const fileNextStep: Bilingual = {
  zh: `发送 CSV 或 XLSX 文件（第一行写列名，每行一条记录，最多 ${MAX_ROWS} 行），或在命令的下一行起粘贴表格`,
  en: `Send a CSV or XLSX file (the column names in the first row, one record per row, at most ${MAX_ROWS} rows), or paste the table on the lines after the command`,
};

const extension = (name: string): string => (name.includes('.') ? (name.toLowerCase().split('.').pop() ?? '') : '');
