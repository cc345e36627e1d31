/**
 * Messages and cards (im/v1/messages, interactive/v1/card/update), files in users' messages (im/v1/messages/…/resources)
 * and the bot's identity (bot/v3/info).
 */
import type { Readable } from 'node:stream';
import { z } from 'zod';
import type { Card } from '../../../cards/kit.js';
import type { FeishuClient } from '../client/client.js';
import { need, parse, retrySafeId, type SdkBody } from '../client/wire.js';
import { isAlreadyGone } from '../errors.js';
import { openIdSchema } from './shared.js';

export const recipientSchema = z.union([
  z.object({ chatId: z.string().regex(/^oc_[A-Za-z0-9]+$/, 'must be a chat id such as oc_1a2b3c') }),
  z.object({ openId: openIdSchema }),
]);
export type Recipient = z.infer<typeof recipientSchema>;

/** A message uuid: Feishu answers a repeated one with the first message (for an hour). */
export const uuidSchema = z.string().max(50).optional();

/** A message as Feishu holds it ("获取指定消息的内容"). `content` is its JSON string (a file's: file_key, file_name). */
export interface MessageInfo {
  messageId: string;
  msgType: string;
  content: string;
  chatId: string;
  /** The sender's open_id (a user's message), or the app id (the bot's). */
  senderId?: string;
}

/** A file larger than the caller takes: the download stopped at `limit` bytes (or at the announced size). */
export class FileTooLarge extends Error {
  override name = 'FileTooLarge';
  constructor(readonly limit: number) {
    super(`the file is over ${limit} bytes`);
  }
}

export interface ReplyOptions {
  uuid?: string;
  /** The chat of the message replied to: Feishu's per-chat message budget is kept under this key. */
  chatId?: string;
}

export class ImApi {
  constructor(private readonly c: FeishuClient) {}

  replyCard(messageId: string, card: Card, opts: ReplyOptions = {}): Promise<{ messageId: string }> {
    return this.reply(messageId, 'interactive', JSON.stringify(card), opts);
  }

  sendCard(to: Recipient, card: Card, opts: { uuid?: string } = {}): Promise<{ messageId: string }> {
    return this.send(to, 'interactive', JSON.stringify(card), opts.uuid);
  }

  replyText(messageId: string, text: string, opts: ReplyOptions = {}): Promise<{ messageId: string }> {
    return this.reply(messageId, 'text', JSON.stringify({ text }), opts);
  }

  sendText(to: Recipient, text: string, opts: { uuid?: string } = {}): Promise<{ messageId: string }> {
    return this.send(to, 'text', JSON.stringify({ text }), opts.uuid);
  }

  async patchCard(messageId: string, card: Card): Promise<void> {
    // The same content again is harmless, so an unanswered patch is simply repeated.
    await this.c.call('message.patch', { key: messageId, idempotent: true }, (o) =>
      this.c.sdk.im.v1.message.patch({ path: { message_id: messageId }, data: { content: JSON.stringify(card) } }, o),
    );
  }

  /** Delayed update with the callback's c- token: valid 30 min, 2 uses, only after the callback was answered. */
  async updateCardByToken(token: string, card: Card): Promise<void> {
    await this.c.call('card.update', {}, (o) =>
      this.c.sdk.request<SdkBody>(
        { method: 'POST', url: '/open-apis/interactive/v1/card/update', data: { token, card } },
        o,
      ),
    );
  }

  /** Recalls a message the bot sent; one already recalled (230011) or gone is done. */
  async recall(messageId: string): Promise<void> {
    try {
      await this.c.call('message.delete', { key: messageId, idempotent: true }, (o) =>
        this.c.sdk.im.v1.message.delete({ path: { message_id: messageId } }, o),
      );
    } catch (err) {
      if (!isAlreadyGone(err)) throw err;
    }
  }

  async getMessage(messageId: string): Promise<MessageInfo> {
    const res = await this.c.call('message.get', { key: messageId }, (o) =>
      this.c.sdk.im.v1.message.get({ path: { message_id: messageId } }, o),
    );
    const m = need(res.data?.items?.[0], 'message.get', 'data.items[0]');
    return {
      messageId: need(m.message_id, 'message.get', 'items[0].message_id'),
      msgType: need(m.msg_type, 'message.get', 'items[0].msg_type'),
      content: m.body?.content ?? '',
      chatId: m.chat_id ?? '',
      ...(m.sender?.id ? { senderId: m.sender.id } : {}),
    };
  }

  /**
   * The bytes of the file `fileKey` in a user's message ("获取消息中的资源文件", the SDK's messageResource.get stream),
   * read into memory up to `maxBytes`: past it the download is cut off and FileTooLarge thrown.
   */
  async downloadFile(messageId: string, fileKey: string, opts: { maxBytes: number }): Promise<Buffer> {
    const res = await this.c.call('message.resource', { key: messageId }, async (o) => {
      try {
        const file = await this.c.sdk.im.v1.messageResource.get(
          { params: { type: 'file' }, path: { message_id: messageId, file_key: fileKey } },
          o,
        );
        const announced = Number((file.headers as Record<string, unknown> | undefined)?.['content-length']);
        return { code: 0, bytes: await readCapped(file.getReadableStream(), opts.maxBytes, announced) };
      } catch (err) {
        throw await withBodyRead(err);
      }
    });
    return res.bytes;
  }

  async botInfo(): Promise<{ openId: string; name: string }> {
    // `bot` is top-level here, not under data (Feishu "获取机器人信息").
    const res = await this.c.call('bot.info', {}, (o) =>
      this.c.sdk.request<SdkBody & { bot?: { open_id?: string; app_name?: string } }>(
        { method: 'GET', url: '/open-apis/bot/v3/info' },
        o,
      ),
    );
    return { openId: need(res.bot?.open_id, 'bot.info', 'bot.open_id'), name: res.bot?.app_name ?? '' };
  }

  private async reply(messageId: string, msgType: string, content: string, opts: ReplyOptions) {
    const uuid = parse(uuidSchema, opts.uuid, 'reply') ?? retrySafeId();
    // Feishu's 5 QPS is per chat: without the chat, the parent message stands in as the key.
    const res = await this.c.call('message.reply', { key: opts.chatId ?? messageId, idempotent: true }, (o) =>
      this.c.sdk.im.v1.message.reply(
        { path: { message_id: messageId }, data: { msg_type: msgType, content, uuid } },
        o,
      ),
    );
    return { messageId: need(res.data?.message_id, 'message.reply', 'data.message_id') };
  }

  private async send(to: Recipient, msgType: string, content: string, given: string | undefined) {
    const uuid = parse(uuidSchema, given, 'send') ?? retrySafeId();
    parse(recipientSchema, to, 'send');
    const [idType, id] = 'chatId' in to ? (['chat_id', to.chatId] as const) : (['open_id', to.openId] as const);
    const res = await this.c.call('message.create', { key: id, idempotent: true }, (o) =>
      this.c.sdk.im.v1.message.create(
        { params: { receive_id_type: idType }, data: { receive_id: id, msg_type: msgType, content, uuid } },
        o,
      ),
    );
    return { messageId: need(res.data?.message_id, 'message.create', 'data.message_id') };
  }
}

/** Reads a stream into one Buffer, giving up (and closing it) as soon as it is known to exceed `max` bytes. */
async function readCapped(stream: Readable, max: number, announced: number): Promise<Buffer> {
  if (announced > max) {
    stream.destroy();
    throw new FileTooLarge(max);
  }
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += b.length;
    if (size > max) {
      stream.destroy();
      throw new FileTooLarge(max);
    }
    parts.push(b);
  }
  return Buffer.concat(parts);
}

/** A download's error answer arrives as a stream too: read its JSON body, so the failure carries Feishu's code. */
async function withBodyRead(err: unknown): Promise<unknown> {
  const res = (err as { response?: { data?: unknown } } | undefined)?.response;
  const data = res?.data as Readable | undefined;
  if (!res || !data || typeof data.pipe !== 'function') return err;
  try {
    res.data = JSON.parse((await readCapped(data, 64 * 1024, NaN)).toString('utf8')) as unknown;
  } catch {
    res.data = {};
  }
  return err;
}
