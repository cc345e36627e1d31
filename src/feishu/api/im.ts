/** Messages and cards (im/v1/messages, interactive/v1/card/update) and the bot's identity (bot/v3/info). */
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
