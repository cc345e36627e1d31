/**
 * Event delivery: the emulator pushes events and card callbacks to the bot the way Feishu does (pages "事件概述",
 * "回调概述", "将事件发送至开发者服务器"). Events get HTTP 200 within 3 s or are re-pushed after 15 s, 5 min, 1 h and 6 h
 * (emulator time); callbacks are answered within 3 s or fail, with no re-push; url_verification within 1 s.
 */
import { setTimeout as pause } from 'node:timers/promises';
import express, { type Response } from 'express';
import { z } from 'zod';
import { cardTooLarge, checkCard, toastProblem } from './cards.js';
import { LongConnections } from './long-connection.js';
import { buildLegacyCardPush, buildPush, type PushSecrets, type WirePush } from './push.js';
import { randomId, type EmulatorState, type Message, type SeedUser } from './state.js';

export const RETRY_LADDER_S = [15, 300, 3600, 21_600] as const;
export const EVENT_DEADLINE_MS = 3000;
export const CALLBACK_DEADLINE_MS = 3000;
export const CHALLENGE_DEADLINE_MS = 1000;

export const botEndpointSchema = z
  .object({
    /** webhook: HTTP pushes to eventUrl / cardUrl; websocket: frames over the long connection the bot opened. */
    transport: z.enum(['webhook', 'websocket']).default('webhook'),
    /** Where events (and new-style card callbacks unless cardUrl is set) are pushed; webhook transport only. */
    eventUrl: z.string().url().optional(),
    /** Where card callbacks go; defaults to eventUrl, like a console with one request URL. */
    cardUrl: z.string().url().optional(),
    encryptKey: z.string().min(1).optional(),
    verificationToken: z.string().min(1).optional(),
    /** Send every event a second time after it succeeded: Feishu delivers at least once. */
    duplicateAfterSuccess: z.boolean().default(false),
    /** Send card callbacks in the legacy flat form (sha1-signed) instead of card.action.trigger. */
    legacyCardCallbacks: z.boolean().default(false),
    /** Push group messages that do not @mention the bot (the im:message.group_msg scope). */
    allGroupMessages: z.boolean().default(false),
    /** Long connection: payloads larger than this are split into fragments. */
    fragmentBytes: z.number().int().positive().default(16_384),
  })
  .strict()
  .refine((b) => b.transport === 'websocket' || b.eventUrl !== undefined, {
    path: ['eventUrl'],
    message:
      'the webhook transport needs the bot\'s request URL, e.g. http://127.0.0.1:3000/webhook/event (or set transport "websocket")',
  })
  .refine((b) => b.transport === 'webhook' || !b.legacyCardCallbacks, {
    path: ['legacyCardCallbacks'],
    message: 'legacy card callbacks are not delivered over the long connection: use the webhook transport',
  })
  .refine((b) => !b.legacyCardCallbacks || b.cardUrl !== undefined, {
    path: ['cardUrl'],
    message: 'legacy card callbacks have their own request URL: set cardUrl, e.g. http://127.0.0.1:3000/webhook/card',
  });

export type BotEndpoint = z.infer<typeof botEndpointSchema>;
export type BotEndpointInput = z.input<typeof botEndpointSchema>;

export interface Attempt {
  /** Emulator time the push was sent. */
  at: number;
  status?: number;
  error?: string;
  ms: number;
}

export interface EventRecord {
  seq: number;
  eventId: string;
  type: string;
  payload: Record<string, unknown>;
  attempts: Attempt[];
  state: 'pending' | 'delivered' | 'failed';
}

export interface CallbackResult {
  status?: number;
  error?: string;
  ms: number;
  /** The parsed JSON answer: `{toast?, card?}` (or a top-level card for legacy callbacks). */
  response?: Record<string, unknown>;
  /** The message's card after the answer was applied. */
  card?: Record<string, unknown>;
}

export interface CallbackRecord extends CallbackResult {
  seq: number;
  messageId: string;
  at: number;
  /** The callback as pushed, before encryption. */
  payload: Record<string, unknown>;
}

interface CardButton {
  label: string;
  /** The label in every language the button has (`content` and `i18n_content`): a click may name it in any. */
  labels: string[];
  value: Record<string, unknown>;
}

/** Every button on a card (1.0 or 2.0) with the value it would send back. */
export function cardButtons(card: unknown): CardButton[] {
  const out: CardButton[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    if (n.tag === 'button') {
      const behaviors = Array.isArray(n.behaviors) ? (n.behaviors as Record<string, unknown>[]) : [];
      const callback = behaviors.find((b) => b.type === 'callback');
      const value = (callback?.value ?? n.value) as Record<string, unknown> | undefined;
      const text = n.text as { content?: string; i18n_content?: Record<string, string> } | undefined;
      const label = text?.content ?? '';
      if (value && typeof value === 'object')
        out.push({ label, labels: [label, ...Object.values(text?.i18n_content ?? {})], value });
    }
    for (const v of Object.values(n)) if (v && typeof v === 'object') walk(v);
  };
  walk(card);
  return out;
}

export class EventDelivery {
  private bot?: BotEndpoint;
  private readonly timers = new Set<NodeJS.Timeout>();
  readonly events: EventRecord[] = [];
  readonly callbacks: CallbackRecord[] = [];
  /** Feishu's side of long-connection mode: used when the bot is configured with transport "websocket". */
  readonly longConnections: LongConnections;
  /** Orders events and callbacks in one sequence, so a reader can ask for what is new since its last look. */
  private seq = 0;

  constructor(private readonly state: EmulatorState) {
    this.longConnections = new LongConnections(state);
  }

  configure(input: BotEndpointInput): BotEndpoint {
    this.bot = botEndpointSchema.parse(input);
    return this.bot;
  }

  get endpoint(): BotEndpoint | undefined {
    return this.bot;
  }

  private requireBot(): BotEndpoint {
    if (!this.bot)
      throw new DeliveryError(
        'no bot configured: POST /_emulator/bot {"eventUrl": "http://127.0.0.1:PORT/webhook/event"} first',
      );
    return this.bot;
  }

  private secrets(): PushSecrets {
    const { encryptKey, verificationToken } = this.requireBot();
    return { encryptKey, verificationToken };
  }

  private async post(
    url: string,
    wire: WirePush,
    deadlineMs: number,
  ): Promise<{ status?: number; text?: string; error?: string; ms: number }> {
    const started = performance.now();
    try {
      // A fresh connection per push, as from Feishu's many senders: a pooled socket to a bot that restarted would
      // fail the push for a reason Feishu never has.
      const headers = { ...wire.headers, connection: 'close' };
      const res = await fetch(url, {
        method: 'POST',
        headers,
        body: wire.body,
        signal: AbortSignal.timeout(deadlineMs),
      });
      const text = await res.text();
      return { status: res.status, text, ms: performance.now() - started };
    } catch (e) {
      const err = e as Error;
      const cause = (err.cause as Error | undefined)?.message;
      const error =
        err.name === 'TimeoutError'
          ? `no answer within ${deadlineMs} ms`
          : cause
            ? `${err.message}: ${cause}`
            : err.message;
      return { error, ms: performance.now() - started };
    }
  }

  /** The console's "save request URL" check: answered with exactly {"challenge": …} within 1 s. */
  async verifyUrl(url = this.requireBot().eventUrl): Promise<{ ok: boolean; reason?: string; ms: number }> {
    if (url === undefined)
      return { ok: false, reason: 'the bot uses the long connection: there is no request URL to verify', ms: 0 };
    const challenge = randomId('', 32);
    const payload = { challenge, token: this.bot?.verificationToken ?? '', type: 'url_verification' };
    const r = await this.post(url, buildPush(payload, this.secrets()), CHALLENGE_DEADLINE_MS);
    if (r.error) return { ok: false, reason: r.error, ms: r.ms };
    if (r.status !== 200) return { ok: false, reason: `HTTP ${r.status}`, ms: r.ms };
    try {
      const body = JSON.parse(r.text ?? '') as unknown;
      const ok = JSON.stringify(body) === JSON.stringify({ challenge });
      return ok
        ? { ok, ms: r.ms }
        : { ok, reason: `answer was ${r.text}, expected {"challenge":"${challenge}"}`, ms: r.ms };
    } catch {
      return { ok: false, reason: `answer is not JSON: ${r.text?.slice(0, 100)}`, ms: r.ms };
    }
  }

  /** Pushes a schema 2.0 event; failures are re-pushed along the retry ladder in emulator time. */
  pushEvent(type: string, event: Record<string, unknown>): EventRecord {
    const bot = this.requireBot();
    const payload = {
      schema: '2.0',
      header: {
        event_id: randomId('', 32),
        token: bot.verificationToken ?? '',
        create_time: String(this.state.now()),
        event_type: type,
        tenant_key: this.state.app.tenantKey,
        app_id: this.state.app.appId,
      },
      event,
    };
    const record: EventRecord = {
      seq: ++this.seq,
      eventId: payload.header.event_id,
      type,
      payload,
      attempts: [],
      state: 'pending',
    };
    this.events.push(record);
    void this.attempt(record, 0);
    return record;
  }

  /**
   * Feishu re-pushes an event it already delivered (same event_id) when it did not see the ack, or at random:
   * one more push of this record, outside the retry ladder.
   */
  redeliver(record: EventRecord): Promise<Attempt> {
    return this.push(record);
  }

  private async push(record: EventRecord): Promise<Attempt> {
    const bot = this.requireBot();
    const at = this.state.now();
    // Signed with the real clock: the bot checks the timestamp against its own clock, which no time scale speeds up.
    const r =
      bot.transport === 'websocket'
        ? // Plaintext over the long connection: it was authenticated when it was opened.
          await this.longConnections.push(record.payload, EVENT_DEADLINE_MS, bot.fragmentBytes)
        : await this.post(bot.eventUrl!, buildPush(record.payload, this.secrets()), EVENT_DEADLINE_MS);
    const attempt: Attempt = { at, status: r.status, error: r.error, ms: r.ms };
    record.attempts.push(attempt);
    return attempt;
  }

  private async attempt(record: EventRecord, retry: number): Promise<void> {
    const { status } = await this.push(record);
    if (status === 200) {
      record.state = 'delivered';
      if (this.requireBot().duplicateAfterSuccess) void this.redeliver(record);
      return;
    }
    const delayS = RETRY_LADDER_S[retry];
    if (delayS === undefined) {
      record.state = 'failed';
      return;
    }
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        void this.attempt(record, retry + 1);
      },
      this.state.clock.toRealMs(delayS * 1000),
    );
    this.timers.add(timer);
  }

  /** Resolves when the event was delivered or gave up (for tests). */
  async settled(record: EventRecord, timeoutMs = 10_000): Promise<EventRecord> {
    const until = Date.now() + timeoutMs;
    while (record.state === 'pending' && Date.now() < until) await pause(10);
    return record;
  }

  private userRef(u: SeedUser) {
    return { union_id: u.union_id, user_id: u.user_id, open_id: u.open_id };
  }

  private findUser(ref: string): SeedUser {
    const u =
      this.state.userByOpenId(ref) ??
      this.state.userByEmail(ref) ??
      this.state.users.find((x) => x.name === ref || x.en_name === ref);
    if (!u) throw new DeliveryError(`no user "${ref}": use an open_id, email or name from GET /_emulator/state`);
    return u;
  }

  /**
   * A user sends a text message. `@name` (a seeded user's Chinese name or email) and `@bot` become mentions,
   * written on the wire as `@_user_N` placeholders with a `mentions` list, as Feishu does.
   */
  sendMessage(input: {
    from: string;
    text: string;
    chatId?: string;
    parentId?: string;
    msgType?: string;
    content?: string;
  }): { messageId: string; event?: EventRecord } {
    const sender = this.findUser(input.from);
    const chat = input.chatId ? this.state.chats.get(input.chatId) : this.state.p2pChat(sender.open_id);
    if (!chat) throw new DeliveryError(`no chat ${input.chatId}`);
    const mentions: { key: string; id: { open_id: string }; name: string; tenant_key: string }[] = [];
    let botMentioned = false;
    const text = input.text.replace(/@(\S+)/g, (whole, ref: string) => {
      const key = `@_user_${mentions.length + 1}`;
      if (ref === 'bot' || ref === this.state.app.appName) {
        botMentioned = true;
        mentions.push({
          key,
          id: { open_id: this.state.app.botOpenId },
          name: this.state.app.appName,
          tenant_key: this.state.app.tenantKey,
        });
        return key;
      }
      const u = this.state.userByEmail(ref) ?? this.state.users.find((x) => x.name === ref || x.open_id === ref);
      if (!u) return whole;
      mentions.push({ key, id: this.userRef(u), name: u.name, tenant_key: u.tenant_key });
      return key;
    });
    const msgType = input.msgType ?? 'text';
    const content = input.content ?? JSON.stringify({ text });
    if (!chat.members.has(sender.open_id)) chat.members.add(sender.open_id);
    const messageId = this.state.recordUserMessage({
      chatId: chat.chatId,
      openId: sender.open_id,
      msgType,
      content,
      parentId: input.parentId,
      mentions: mentions.map((m) => ({ key: m.key, id: m.id.open_id, name: m.name })),
    });
    const stored = this.state.messages.get(messageId) as Message;
    const p2p = chat.chatMode === 'p2p';
    if (!p2p && !botMentioned && !this.requireBot().allGroupMessages) return { messageId };
    const event = this.pushEvent('im.message.receive_v1', {
      sender: { sender_id: this.userRef(sender), sender_type: 'user', tenant_key: sender.tenant_key },
      message: {
        message_id: messageId,
        ...(stored.rootId ? { root_id: stored.rootId, parent_id: stored.parentId } : {}),
        create_time: String(stored.createdAt),
        update_time: String(stored.updatedAt),
        chat_id: chat.chatId,
        chat_type: p2p ? 'p2p' : 'group',
        message_type: msgType,
        content,
        ...(mentions.length ? { mentions } : {}),
      },
    });
    return { messageId, event };
  }

  /** A user clicks a button on a card the bot sent; the answer's card replaces the stored one. */
  async click(input: {
    messageId: string;
    by: string;
    action?: string;
    label?: string;
    formValue?: Record<string, unknown>;
  }): Promise<CallbackResult> {
    const bot = this.requireBot();
    const msg = this.state.messages.get(input.messageId);
    if (!msg || msg.msgType !== 'interactive' || msg.sender.type !== 'app') {
      throw new DeliveryError(`message ${input.messageId} is not a card sent by the bot`);
    }
    const user = this.findUser(input.by);
    const buttons = cardButtons(msg.card);
    const button = buttons.find(
      (b) =>
        (input.action === undefined || b.value.action === input.action) &&
        (input.label === undefined || b.labels.some((l) => l.includes(input.label!))),
    );
    if (!button) {
      const have = buttons.map((b) => `${String(b.value.action ?? '?')} "${b.label}"`).join(', ') || 'none';
      throw new DeliveryError(`no such button on ${input.messageId}; buttons: ${have}`);
    }
    const token = this.state.issueCardToken(msg.messageId);
    const action = { value: button.value, tag: 'button', ...(input.formValue ? { form_value: input.formValue } : {}) };
    const legacyPayload = {
      open_id: user.open_id,
      user_id: user.user_id,
      open_message_id: msg.messageId,
      open_chat_id: msg.chatId,
      tenant_key: user.tenant_key,
      token,
      action,
    };
    const payload = {
      schema: '2.0',
      header: {
        event_id: randomId('', 32),
        token: bot.verificationToken ?? '',
        create_time: String(this.state.now() * 1000),
        event_type: 'card.action.trigger',
        tenant_key: this.state.app.tenantKey,
        app_id: this.state.app.appId,
      },
      event: {
        operator: { tenant_key: user.tenant_key, ...this.userRef(user) },
        token,
        action,
        host: 'im_message',
        context: { open_message_id: msg.messageId, open_chat_id: msg.chatId },
      },
    };
    const r =
      bot.transport === 'websocket'
        ? await this.longConnections.push(payload, CALLBACK_DEADLINE_MS, bot.fragmentBytes)
        : await this.post(
            (bot.cardUrl ?? bot.eventUrl)!,
            bot.legacyCardCallbacks
              ? buildLegacyCardPush(legacyPayload, bot.verificationToken ?? '')
              : buildPush(payload, this.secrets()),
            CALLBACK_DEADLINE_MS,
          );
    const result: CallbackResult = { status: r.status, error: r.error, ms: r.ms };
    if (r.status === 200) {
      try {
        result.response = (r.text ? JSON.parse(r.text) : {}) as Record<string, unknown>;
      } catch {
        result.error = `answer is not JSON: ${r.text?.slice(0, 100)}`;
      }
      const refused = result.response && this.applyAnswer(msg, result.response, bot.legacyCardCallbacks);
      if (refused) result.error = refused;
    } else if (!r.error) {
      result.error = `HTTP ${r.status}`;
    }
    result.card = msg.card;
    this.callbacks.push({
      ...result,
      seq: ++this.seq,
      messageId: msg.messageId,
      at: this.state.now(),
      payload: bot.legacyCardCallbacks ? legacyPayload : payload,
    });
    return result;
  }

  /**
   * Puts the answer's card on the message; an answer the client would refuse leaves the card as it was, and the
   * reason is returned with the client's code ("卡片回传交互回调"): 200672 a bad body (its toast), 200673 a bad card.
   */
  private applyAnswer(msg: Message, answer: Record<string, unknown>, legacy: boolean): string | undefined {
    const badToast = answer.toast === undefined ? undefined : toastProblem(answer.toast);
    if (badToast) return `200672: ${badToast}`;
    const card = legacy
      ? (({ toast: _t, ...rest }) => (Object.keys(rest).length ? rest : undefined))(answer)
      : (answer.card as { type?: string; data?: Record<string, unknown> } | undefined)?.type === 'raw'
        ? (answer.card as { data: Record<string, unknown> }).data
        : undefined;
    if (!card) return undefined;
    const json = JSON.stringify(card);
    // The client shows 200673 "bad card in the response" and keeps the old card (Feishu "卡片回传交互回调").
    const tooLarge = cardTooLarge(json);
    if (tooLarge) return `200673: ${tooLarge}`;
    const checked = checkCard(card);
    if (!checked.ok) return `200673: ${checked.problem.detail}`;
    msg.card = card;
    msg.content = json;
    msg.updated = true;
    msg.updatedAt = this.state.now();
    return undefined;
  }

  /** The bot was added to a chat (by a user). */
  botAdded(input: { chatId: string; by: string }): EventRecord {
    const chat = this.state.chats.get(input.chatId);
    if (!chat) throw new DeliveryError(`no chat ${input.chatId}`);
    const user = this.findUser(input.by);
    chat.bots.add(this.state.app.appId);
    return this.pushEvent('im.chat.member.bot.added_v1', {
      chat_id: chat.chatId,
      operator_id: this.userRef(user),
      external: false,
      operator_tenant_key: user.tenant_key,
      name: chat.name,
      i18n_names: { zh_cn: chat.name },
    });
  }

  /** A user clicks a bot menu item of type "event". */
  menu(input: { by: string; eventKey: string }): EventRecord {
    const user = this.findUser(input.by);
    return this.pushEvent('application.bot.menu_v6', {
      operator: { operator_name: user.name, operator_id: this.userRef(user) },
      event_key: input.eventKey,
      timestamp: Math.floor(this.state.now() / 1000),
    });
  }

  /**
   * A directory event about a user: contact.user.created_v3 for a user just added to the directory,
   * contact.user.deleted_v3 ("员工离职") for one who has left (`status.is_resigned` true).
   */
  userEvent(type: string, user: SeedUser): EventRecord {
    return this.pushEvent(type, {
      object: {
        ...this.userRef(user),
        name: user.name,
        en_name: user.en_name,
        email: user.email,
        enterprise_email: user.enterprise_email,
        mobile: user.mobile,
        job_title: user.job_title,
        department_ids: user.department_ids,
        leader_user_id: user.leader_user_id,
        employee_no: user.employee_no,
        status: {
          is_frozen: false,
          is_resigned: user.resigned,
          is_activated: !user.resigned,
          is_exited: user.resigned,
          is_unjoin: false,
        },
      },
    });
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** The emulator is stopping: its long connections end too. */
  shutdown(): void {
    this.close();
    this.longConnections.close();
  }

  reset(): void {
    this.close();
    this.events.length = 0;
    this.callbacks.length = 0;
  }
}

export class DeliveryError extends Error {
  override name = 'DeliveryError';
}

const messageSchema = z
  .object({ from: z.string(), text: z.string(), chatId: z.string().optional(), parentId: z.string().optional() })
  .strict();
const clickSchema = z
  .object({
    messageId: z.string(),
    by: z.string(),
    action: z.string().optional(),
    label: z.string().optional(),
    formValue: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
const botAddedSchema = z.object({ chatId: z.string(), by: z.string() }).strict();
const menuSchema = z.object({ by: z.string(), eventKey: z.string().min(1).max(30) }).strict();
/** An existing user (`user`: open_id or email), or a new one added to the directory first (`name`, `department`…). */
const userCreatedSchema = z.union(
  [
    z.object({ user: z.string() }).strict(),
    z
      .object({
        name: z.string().min(1).max(64),
        enName: z.string().min(1).max(64).optional(),
        department: z.string().min(1),
        leader: z.string().min(1).optional(),
        jobTitle: z.string().max(64).optional(),
      })
      .strict(),
  ],
  {
    error:
      'give {"user": open_id or email} for a user in the directory, or {"name", "department", "leader"?, "enName"?, "jobTitle"?} for a new one',
  },
);

/** A user who leaves: open_id or email of a user in the directory. */
const userDeletedSchema = z.object({ user: z.string().min(1) }).strict();

/** Control routes for delivery: configure the bot, then inject what users do. */
export function deliveryRoutes(delivery: EventDelivery, state: EmulatorState): express.Router {
  const r = express.Router();
  const run = async (res: Response, schema: z.ZodType, body: unknown, act: (input: never) => unknown) => {
    const parsed = schema.safeParse(body ?? {});
    if (!parsed.success) {
      res
        .status(400)
        .json({ error: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ') });
      return;
    }
    try {
      res.json(await act(parsed.data as never));
    } catch (e) {
      res.status(400).json({ error: (e as Error).message });
    }
  };
  const summary = (e: EventRecord | undefined) => e && { eventId: e.eventId, type: e.type, state: e.state };

  r.get('/_emulator/bot', (_req, res) => {
    const bot = delivery.endpoint;
    res.json({
      bot: bot && {
        ...bot,
        encryptKey: bot.encryptKey ? '[set]' : undefined,
        verificationToken: bot.verificationToken ? '[set]' : undefined,
      },
    });
  });
  r.post('/_emulator/bot', (req, res) =>
    run(res, botEndpointSchema, req.body, async (input: BotEndpointInput) => {
      const bot = delivery.configure(input);
      // Over the long connection there is no URL to verify: report who is connected instead.
      if (bot.transport === 'websocket') return { ok: true, longConnections: delivery.longConnections.connections };
      return { ok: true, urlVerification: await delivery.verifyUrl() };
    }),
  );
  /** Events and callbacks with their payloads as pushed (before encryption), after `since` (a `seq`). */
  r.get('/_emulator/deliveries', (req, res) => {
    const q = z.object({ since: z.coerce.number().int().min(0).default(0) }).safeParse(req.query);
    if (!q.success)
      return void res
        .status(400)
        .json({ error: `since: ${q.error.issues[0]?.message ?? 'invalid'} (a seq from an earlier answer)` });
    // The verification token in each header is the bot's secret: shown as present, never as its value.
    const after = <T extends { seq: number; payload: Record<string, unknown> }>(list: readonly T[]) =>
      list.filter((x) => x.seq > q.data.since).map((x) => ({ ...x, payload: withoutToken(x.payload) }));
    res.json({ events: after(delivery.events), callbacks: after(delivery.callbacks) });
  });
  r.post('/_emulator/events/message', (req, res) =>
    run(res, messageSchema, req.body, (i: z.infer<typeof messageSchema>) => {
      const { messageId, event } = delivery.sendMessage(i);
      return { messageId, event: summary(event) };
    }),
  );
  r.post('/_emulator/events/click', (req, res) =>
    run(res, clickSchema, req.body, (i: z.infer<typeof clickSchema>) => delivery.click(i)),
  );
  r.post('/_emulator/events/bot-added', (req, res) =>
    run(res, botAddedSchema, req.body, (i: z.infer<typeof botAddedSchema>) => summary(delivery.botAdded(i))),
  );
  r.post('/_emulator/events/menu', (req, res) =>
    run(res, menuSchema, req.body, (i: z.infer<typeof menuSchema>) => summary(delivery.menu(i))),
  );
  r.post('/_emulator/events/user-created', (req, res) =>
    run(res, userCreatedSchema, req.body, (i: z.infer<typeof userCreatedSchema>) => {
      if (!('user' in i)) {
        const user = state.addUser(i);
        try {
          return { ...summary(delivery.userEvent('contact.user.created_v3', user)), user };
        } catch (e) {
          // Nothing was announced (no bot configured): the directory stays as it was.
          state.users.splice(state.users.indexOf(user), 1);
          throw e;
        }
      }
      const user = state.userByOpenId(i.user) ?? state.userByEmail(i.user);
      if (!user) throw new DeliveryError(`no user ${i.user}`);
      return summary(delivery.userEvent('contact.user.created_v3', user));
    }),
  );
  /**
   * Someone leaves: they stay in the directory marked resigned (contact get shows it; messages, chat adds and their
   * mailbox refuse them), chats and mail groups keep them until the bot acts, and contact.user.deleted_v3 is pushed.
   */
  r.post('/_emulator/events/user-deleted', (req, res) =>
    run(res, userDeletedSchema, req.body, (i: z.infer<typeof userDeletedSchema>) => {
      const user = state.userByOpenId(i.user) ?? state.userByEmail(i.user);
      if (!user) throw new DeliveryError(`no user ${i.user}`);
      if (user.resigned) throw new DeliveryError(`${user.name} has already left`);
      user.resigned = true;
      try {
        return { ...summary(delivery.userEvent('contact.user.deleted_v3', user)), user };
      } catch (e) {
        // Nothing was announced (no bot configured): the directory stays as it was.
        user.resigned = false;
        throw e;
      }
    }),
  );
  return r;
}

function withoutToken(payload: Record<string, unknown>): Record<string, unknown> {
  const header = payload.header as Record<string, unknown> | undefined;
  return header?.token ? { ...payload, header: { ...header, token: '[redacted]' } } : payload;
}

const deliveries = new WeakMap<EmulatorState, EventDelivery>();

/** The one EventDelivery of an emulator: reset with it, shown in its state. */
export function deliveryFor(state: EmulatorState): EventDelivery {
  let d = deliveries.get(state);
  if (!d) {
    const created = new EventDelivery(state);
    state.registerSection('deliveries', {
      reset: () => created.reset(),
      snapshot: () => ({
        events: created.events.map(({ payload: _p, ...e }) => e),
        callbacks: created.callbacks.map(({ payload: _p, ...c }) => c),
      }),
    });
    deliveries.set(state, created);
    d = created;
  }
  return d;
}

/** Route module for the emulator's server (src/emulator/server.ts RouteModule shape). */
export const deliveryModule = (kit: { state: EmulatorState }): express.Router => {
  const delivery = deliveryFor(kit.state);
  return express.Router().use(deliveryRoutes(delivery, kit.state), delivery.longConnections.routes());
};
