/**
 * /bulk from a CSV or XLSX file. Feishu file messages carry no text, so the command cannot ride on the file: it is
 * either a reply `/bulk <kind>` to the file message (its parent_id), or `/bulk <kind>` alone, after which the bot
 * takes the next file that person sends in that chat within WAIT_MINUTES. The file is read with the message resource
 * API ("获取消息中的资源文件"), at most MAX_FILE_BYTES, and then planned exactly as pasted rows.
 */
import { z } from 'zod';
import { successCard, type Card } from '../cards/index.js';
import { fileOf, type SentFile } from '../src/events.js';
import { FileTooLarge } from '../src/feishu/ports.js';
import { t, type Text } from '../src/i18n.js';
import { keyspace } from '../src/store/keyspace.js';
import { KINDS, type KindName } from './bulk-kinds.js';
import { MAX_ROWS, parseFile, refused, type TableResult } from './bulk-table.js';
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

/** Records that the sender's next file here is for `/bulk kind`; the card says to send it. */
export async function awaitFile(ctx: Ctx, kind: KindName, columns: string): Promise<Card> {
  await waiting.set(ctx.store, waitId(ctx), { kind });
  return successCard({
    title: t('bulk.file.sendTitle', { kind }),
    summary: t('bulk.file.send', { kind, minutes: WAIT_MINUTES, max: MAX_ROWS }),
    fields: [{ label: t('bulk.file.columns'), value: columns }],
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
    title: t('bulk.file.hintTitle'),
    summary: t('bulk.file.hint'),
  });
}

/** The table in the message the command replies to: it must be a file message with a CSV or XLSX. */
export async function tableOfMessage(ctx: Ctx, messageId: string): Promise<TableResult> {
  const m = await ctx.gateway.im.getMessage(messageId);
  const file = m.msgType === 'file' ? fileOf(m.content) : undefined;
  if (!file) return refused(t('bulk.file.notAFile'));
  return tableOfFile(ctx, messageId, file);
}

/** Downloads and reads a sent file, by its extension; other formats are refused before any download. */
export async function tableOfFile(ctx: Ctx, messageId: string, file: SentFile): Promise<TableResult> {
  const ext = extension(file.fileName);
  if (!ACCEPTED.includes(ext)) return refused(t('bulk.file.unsupported', { file: file.fileName }));
  let bytes: Buffer;
  try {
    bytes = await ctx.gateway.im.downloadFile(messageId, file.fileKey, { maxBytes: MAX_FILE_BYTES });
  } catch (err) {
    if (!(err instanceof FileTooLarge)) throw err;
    return refused(t('bulk.file.tooLarge', { file: file.fileName, mb: MAX_FILE_BYTES / 1024 / 1024, max: MAX_ROWS }));
  }
  return parseFile(file.fileName, bytes);
}

/** Where the table came from, for the error card's next step. */
export const fileNextStep = (): Text => t('bulk.table.fileNextStep', { max: MAX_ROWS });

const extension = (name: string): string => (name.includes('.') ? (name.toLowerCase().split('.').pop() ?? '') : '');
