/**
 * Files users send: a `file` message (content `{"file_key", "file_name"}`, pushed as im.message.receive_v1 like text)
 * whose bytes the emulator keeps, and Feishu "获取消息中的资源文件"
 * `GET /open-apis/im/v1/messages/:message_id/resources/:file_key?type=file|image`: tenant token, 1000/min and 50/s,
 * resources up to 100 MB (234037), only of messages in a chat the bot is in (234004), the key must be the message's
 * own (234003), cards and merged forwards have none (234043), a deleted message 230110.
 */
import express from 'express';
import { z } from 'zod';
import { deliveryFor, type EventDelivery } from './delivery.js';
import type { Kit } from './kit.js';
import { randomId, type EmulatorState } from './state.js';

/** "仅支持下载 100 MB 以内的资源文件". */
export const MAX_RESOURCE_BYTES = 100 * 1024 * 1024;

interface StoredFile {
  fileKey: string;
  messageId: string;
  name: string;
  bytes: Buffer;
}

const CONTENT_TYPES: Record<string, string> = {
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  txt: 'text/plain',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pdf: 'application/pdf',
};

const files = new WeakMap<EmulatorState, Map<string, StoredFile>>();

function filesOf(state: EmulatorState): Map<string, StoredFile> {
  let map = files.get(state);
  if (!map) {
    const created = new Map<string, StoredFile>();
    state.registerSection('files', {
      reset: () => created.clear(),
      snapshot: () => [...created.values()].map(({ bytes, ...f }) => ({ ...f, size: bytes.length })),
    });
    files.set(state, created);
    map = created;
  }
  return map;
}

export const sendFileSchema = z
  .object({
    from: z.string(),
    fileName: z.string().min(1).max(255),
    /** The file's bytes, base64: the control API takes JSON only. */
    contentBase64: z.string(),
    chatId: z.string().optional(),
    parentId: z.string().optional(),
  })
  .strict();

/** A user sends a file: kept under a new file_key, then pushed as a `file` message. */
export function sendFile(
  delivery: EventDelivery,
  state: EmulatorState,
  input: z.infer<typeof sendFileSchema>,
): ReturnType<EventDelivery['sendMessage']> & { fileKey: string } {
  const bytes = Buffer.from(input.contentBase64, 'base64');
  const fileKey = `file_v3_${randomId('', 32)}`;
  const sent = delivery.sendMessage({
    from: input.from,
    text: '',
    chatId: input.chatId,
    parentId: input.parentId,
    msgType: 'file',
    content: JSON.stringify({ file_key: fileKey, file_name: input.fileName }),
  });
  // Kept before anything awaits, so the bot cannot ask for it before it exists.
  filesOf(state).set(fileKey, { fileKey, messageId: sent.messageId, name: input.fileName, bytes });
  return { ...sent, fileKey };
}

export function fileRoutes(kit: Kit): express.Router {
  const { state } = kit;
  const stored = filesOf(state);
  const r = kit.routes();

  r.add({
    method: 'get',
    path: '/open-apis/im/v1/messages/:message_id/resources/:file_key',
    token: 'tenant',
    limits: { perSecond: 50, perMinute: 1000 },
    query: z.object({ type: z.enum(['image', 'file'], { message: 'type must be image or file' }) }),
    invalidCode: 234001,
    handler: ({ params, query, res }) => {
      const m = state.messages.get(params.message_id ?? '');
      if (!m) throw kit.error(234001, { detail: `no message ${params.message_id}` });
      if (m.deleted) throw kit.error(230110);
      if (m.msgType === 'interactive' || m.msgType === 'merge_forward') throw kit.error(234043);
      const chat = state.chats.get(m.chatId);
      if (!chat?.bots.has(state.app.appId)) throw kit.error(234004);
      const file = stored.get(params.file_key ?? '');
      if (!file || file.messageId !== m.messageId) throw kit.error(234003);
      if (query.type !== 'file') throw kit.error(234001, { detail: `${file.fileKey} is a file: ask with type=file` });
      if (file.bytes.length > MAX_RESOURCE_BYTES) throw kit.error(234037);
      const ext = file.name.toLowerCase().split('.').pop() ?? '';
      res.locals.code = 0;
      res
        .status(200)
        .set('x-tt-logid', kit.logId())
        .type(CONTENT_TYPES[ext] ?? 'application/octet-stream')
        .set('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`)
        .send(file.bytes);
      return undefined;
    },
  });

  const delivery = deliveryFor(state);
  const control = express.Router();
  control.post('/_emulator/events/file', (req, res) => {
    const parsed = sendFileSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      res
        .status(400)
        .json({ error: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ') });
      return;
    }
    try {
      const { messageId, fileKey, event } = sendFile(delivery, state, parsed.data);
      res.json({
        messageId,
        fileKey,
        event: event && { eventId: event.eventId, type: event.type, state: event.state },
      });
    } catch (e) {
      // An unknown user or chat, a parent that does not exist (DeliveryError or the state's own Error).
      res.status(400).json({ error: (e as Error).message });
    }
  });
  return express.Router().use(r.router, control);
}
