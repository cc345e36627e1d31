/**
 * The only code that calls the Feishu Open API. Every call goes: rate limiter → SDK Client → one FeishuError
 * for both failure shapes → retry policy → metrics → log. Tokens are never logged.
 */
import { randomUUID } from 'node:crypto';
import * as lark from '@larksuiteoapi/node-sdk';
import { z } from 'zod';
import type { Card } from '../../cards/kit.js';
import type { AppConfig } from '../config.js';
import { silentLogger, type Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { FeishuError, MALFORMED_RESPONSE, mayHaveBeenPerformed, NETWORK_ERROR, TOKEN_CODES } from './errors.js';
import { KeyedSerializer, RateLimiter, realSleep, type Endpoint, type LimiterStore } from './limits.js';

// ---------- inputs that cross into Feishu: validated once, types inferred ----------

const openId = z.string().regex(/^ou_[A-Za-z0-9]+$/, 'must be an open_id such as ou_1a2b3c');
const email = z.email('must be an email address such as team@example.com');

export const createChatSchema = z.object({
  name: z.string().min(1).max(60).optional(),
  description: z.string().max(100).optional(),
  ownerId: openId.optional(),
  userIds: z.array(openId).max(50, 'at most 50 users per chat create; add the rest with addChatMembers').default([]),
  botIds: z.array(z.string()).max(5, 'at most 5 bots per chat create').default([]),
  chatType: z.enum(['private', 'public']).default('private'),
  /** 'thread': a topic chat, where every message starts a thread. */
  groupMessageType: z.enum(['chat', 'thread']).optional(),
  /** Idempotency key: Feishu returns the same chat for a repeated uuid. */
  uuid: z.string().max(50).optional(),
});
export type CreateChatInput = z.input<typeof createChatSchema>;

export const createMailgroupSchema = z.object({
  email,
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  whoCanSendMail: z.enum(['ANYONE', 'ALL_INTERNAL_USERS', 'ALL_GROUP_MEMBERS', 'CUSTOM_MEMBERS']).optional(),
});
export type CreateMailgroupInput = z.input<typeof createMailgroupSchema>;

export const mailgroupMemberSchema = z.union([
  z.object({ type: z.literal('USER'), userId: openId }),
  z.object({ type: z.literal('DEPARTMENT'), departmentId: z.string().min(1) }),
  z.object({ type: z.enum(['EXTERNAL_USER', 'MAIL_GROUP', 'OTHER_MEMBER']), email }),
]);
export type MailgroupMember = z.infer<typeof mailgroupMemberSchema>;

export const mailContactSchema = z.object({
  name: z.string().min(1, 'a contact needs a name'),
  mailAddress: email.optional(),
  company: z.string().optional(),
  phone: z.string().optional(),
  position: z.string().optional(),
  tag: z.string().optional(),
  remark: z.string().optional(),
});
export type MailContactInput = z.input<typeof mailContactSchema>;

const address = z.object({ mail_address: email, name: z.string().optional() });
export const sendMailSchema = z
  .object({
    subject: z.string().optional(),
    to: z.array(address).optional(),
    cc: z.array(address).optional(),
    bcc: z.array(address).optional(),
    /** A whole EML message; the gateway base64url-encodes it. */
    raw: z.string().optional(),
    body_html: z.string().optional(),
    body_plain_text: z.string().optional(),
    /** Idempotency key for mail send. */
    dedupe_key: z.string().optional(),
  })
  .refine((b) => b.raw !== undefined || (b.to?.length ?? 0) > 0, 'give either raw (a whole EML) or at least one "to" address');
export type SendMailInput = z.input<typeof sendMailSchema>;

function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw new TypeError(`${what}: ${r.error.issues.map((i) => `${i.path.join('.') || 'value'} ${i.message}`).join('; ')}`);
  return r.data;
}

/** Mail APIs take EML as base64url (+/ → -_), platform.md §4.5. */
const base64url = (eml: string | Buffer): string => Buffer.from(eml).toString('base64url');

// ---------- outputs ----------

export interface ChatMembersResult {
  invalidIds: string[];
  notExistedIds: string[];
  pendingApprovalIds: string[];
}
export interface FeishuUser {
  openId: string;
  name: string;
  enName?: string;
  email?: string;
  enterpriseEmail?: string;
  isResigned: boolean;
}
export interface MailgroupInfo {
  mailgroupId: string;
  email: string;
  name?: string;
  description?: string;
  whoCanSendMail?: string;
}
export interface MailContact {
  id: string;
  name: string;
  mailAddress?: string;
  company?: string;
  phone?: string;
  position?: string;
  tag?: string;
  remark?: string;
}
export interface DraftInfo {
  id: string;
  subject?: string;
  raw?: string;
}

// ---------- the gateway ----------

export interface GatewayOptions {
  appId: string;
  appSecret: string;
  /** https://open.feishu.cn, or the emulator's URL. */
  domain: string;
  logger?: Logger;
  metrics?: Metrics;
  rateLimits?: AppConfig['rateLimits'];
  limiterStore?: LimiterStore;
  /** Per HTTP request; the SDK has none by default. */
  timeoutMs?: number;
  /** Total tries for a retryable failure (first call included). */
  maxAttempts?: number;
  /**
   * After a create that got no answer at all (and before a resumed run's create), how long to wait before looking
   * for its result: a create still running on Feishu's side must land first, or the lookup misses it and the retry
   * makes a second one. Default: the request timeout.
   */
  settleMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

type CallOptions = {
  /** Per-target quota key (chat, user, message). */
  key?: string;
  /** Serialise with other calls for the same key (per mailbox, per chat). */
  serial?: string;
  userToken?: string;
};

type RequestOptions = ReturnType<typeof lark.withUserAccessToken>;

/**
 * How a create without an idempotency key learns whether an attempt left unanswered was performed: instead of
 * creating again (a second contact, or "address in use" for our own mail group), the gateway looks first.
 */
interface Reconciler<R> {
  /** The object the create would have made, as a create answer, or undefined when it does not exist. */
  find: () => Promise<R | undefined>;
  /** A code that, after an unanswered attempt, may be that attempt's own object in the way (1234006). */
  conflictCode?: number;
}

interface SdkBody {
  code?: number;
  msg?: string;
  error?: { log_id?: string };
}

/** A Cache for the SDK that the gateway owns, so it can drop the tenant token on 99991663. */
class TokenCache implements lark.Cache {
  private readonly values = new Map<string, { value: unknown; expireAt?: number }>();

  set: lark.Cache['set'] = async (key, value, expireAt, options) => {
    this.values.set(`${options?.namespace ?? ''}:${String(key)}`, { value, expireAt });
    return true;
  };

  get: lark.Cache['get'] = async (key, options) => {
    const entry = this.values.get(`${options?.namespace ?? ''}:${String(key)}`);
    // The SDK stamps expiry with its own Date.now(), so compare with the same clock.
    if (!entry || (entry.expireAt !== undefined && entry.expireAt < Date.now())) return undefined;
    return entry.value;
  };

  clear(): void {
    this.values.clear();
  }
}

export class FeishuGateway {
  readonly client: lark.Client;
  private readonly tokens = new TokenCache();
  private readonly limiter: RateLimiter;
  private readonly serial = new KeyedSerializer();
  private readonly log: Logger;
  private readonly metrics: Metrics | undefined;
  private readonly maxAttempts: number;
  private readonly settleMs: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(o: GatewayOptions) {
    const http = lark.defaultHttpInstance.create({ timeout: o.timeoutMs ?? 10_000 });
    // The SDK expects bodies, not axios responses; error responses keep their headers on the AxiosError.
    http.interceptors.response.use((r) => r.data);
    const sdkLog = (o.logger ?? silentLogger).child({ component: 'lark-sdk' });
    // The SDK logs whole AxiosErrors (with the Authorization header): pass on strings only.
    const strings = (level: 'debug' | 'info' | 'warn' | 'error') => (...msg: unknown[]) => {
      const text = msg.filter((m): m is string => typeof m === 'string').join(' ');
      if (text) sdkLog[level](text);
    };
    this.client = new lark.Client({
      appId: o.appId,
      appSecret: o.appSecret,
      domain: o.domain.replace(/\/+$/, ''),
      // Same object the SDK's own default is built from; its typing just predates the data interceptor.
      httpInstance: http as unknown as lark.HttpInstance,
      cache: this.tokens,
      logger: { error: strings('error'), warn: strings('warn'), info: strings('info'), debug: strings('debug'), trace: strings('debug') },
    });
    this.singleFlightTokenFetch();
    this.log = (o.logger ?? silentLogger).child({ component: 'feishu' });
    this.metrics = o.metrics;
    this.now = o.now ?? Date.now;
    this.sleep = o.sleep ?? realSleep;
    this.random = o.random ?? Math.random;
    this.limiter = new RateLimiter({ overrides: o.rateLimits, store: o.limiterStore, now: this.now, sleep: this.sleep });
    this.maxAttempts = o.maxAttempts ?? 4;
    this.settleMs = o.settleMs ?? o.timeoutMs ?? 10_000;
    this.backoffBaseMs = o.backoffBaseMs ?? 250;
    this.backoffMaxMs = o.backoffMaxMs ?? 10_000;
  }

  /**
   * The SDK fetches a tenant token per call while its cache is cold (node-sdk.md §2.3: 5 concurrent calls made
   * 5 token requests); concurrent callers share one fetch instead.
   */
  private singleFlightTokenFetch(): void {
    const manager = this.client.tokenManager;
    const fetchToken = manager.getTenantAccessToken.bind(manager);
    let inflight: ReturnType<typeof fetchToken> | undefined;
    manager.getTenantAccessToken = (params) => {
      inflight ??= fetchToken(params).finally(() => {
        inflight = undefined;
      });
      return inflight;
    };
  }

  // ----- contract methods (app core) -----

  async replyCard(messageId: string, card: Card, opts: { uuid?: string } = {}): Promise<{ messageId: string }> {
    const res = await this.call('message.reply', { key: messageId }, (o) =>
      this.client.im.v1.message.reply(
        { path: { message_id: messageId }, data: { msg_type: 'interactive', content: JSON.stringify(card), uuid: opts.uuid ?? retrySafeId() } },
        o,
      ),
    );
    return { messageId: need(res.data?.message_id, 'message.reply', 'data.message_id') };
  }

  async sendCard(to: { chatId: string } | { openId: string }, card: Card, opts: { uuid?: string } = {}): Promise<{ messageId: string }> {
    return this.send(to, 'interactive', JSON.stringify(card), opts.uuid);
  }

  async patchCard(messageId: string, card: Card): Promise<void> {
    await this.call('message.patch', { key: messageId }, (o) =>
      this.client.im.v1.message.patch({ path: { message_id: messageId }, data: { content: JSON.stringify(card) } }, o),
    );
  }

  /** Delayed update with the callback's c- token: valid 30 min, 2 uses, only after the callback was answered. */
  async updateCardByToken(token: string, card: Card): Promise<void> {
    await this.call('card.update', {}, (o) =>
      this.client.request<SdkBody>({ method: 'POST', url: '/open-apis/interactive/v1/card/update', data: { token, card } }, o),
    );
  }

  async botInfo(): Promise<{ openId: string; name: string }> {
    // `bot` is top-level here, not under data (platform.md §2.1).
    const res = await this.call('bot.info', {}, (o) =>
      this.client.request<SdkBody & { bot?: { open_id?: string; app_name?: string } }>({ method: 'GET', url: '/open-apis/bot/v3/info' }, o),
    );
    return { openId: need(res.bot?.open_id, 'bot.info', 'bot.open_id'), name: res.bot?.app_name ?? '' };
  }

  // ----- messages -----

  sendText(to: { chatId: string } | { openId: string }, text: string, opts: { uuid?: string } = {}): Promise<{ messageId: string }> {
    return this.send(to, 'text', JSON.stringify({ text }), opts.uuid);
  }

  async replyText(messageId: string, text: string, opts: { uuid?: string } = {}): Promise<{ messageId: string }> {
    const res = await this.call('message.reply', { key: messageId }, (o) =>
      this.client.im.v1.message.reply(
        { path: { message_id: messageId }, data: { msg_type: 'text', content: JSON.stringify({ text }), uuid: opts.uuid ?? retrySafeId() } },
        o,
      ),
    );
    return { messageId: need(res.data?.message_id, 'message.reply', 'data.message_id') };
  }

  private async send(to: { chatId: string } | { openId: string }, msgType: string, content: string, uuid = retrySafeId()) {
    const [idType, id] = 'chatId' in to ? (['chat_id', to.chatId] as const) : (['open_id', to.openId] as const);
    const res = await this.call('message.create', { key: id }, (o) =>
      this.client.im.v1.message.create({ params: { receive_id_type: idType }, data: { receive_id: id, msg_type: msgType, content, uuid } }, o),
    );
    return { messageId: need(res.data?.message_id, 'message.create', 'data.message_id') };
  }

  // ----- chats -----

  async createChat(params: CreateChatInput, opts: { uuid?: string } = {}): Promise<{ chatId: string; name: string }> {
    const p = parse(createChatSchema, { ...params, uuid: opts.uuid ?? params.uuid ?? retrySafeId() }, 'createChat');
    const res = await this.call('chat.create', {}, (o) =>
      this.client.im.v1.chat.create(
        {
          params: { user_id_type: 'open_id', uuid: p.uuid },
          data: {
            name: p.name,
            description: p.description,
            owner_id: p.ownerId,
            user_id_list: p.userIds,
            bot_id_list: p.botIds,
            chat_type: p.chatType,
            group_message_type: p.groupMessageType,
          },
        },
        o,
      ),
    );
    return { chatId: need(res.data?.chat_id, 'chat.create', 'data.chat_id'), name: res.data?.name ?? p.name ?? '' };
  }

  /** Adds users in chunks of 50 (the API's cap), one call at a time per chat: concurrent adds fail with 232019. */
  async addChatMembers(chatId: string, openIds: string[]): Promise<ChatMembersResult> {
    parse(z.array(openId), openIds, 'addChatMembers');
    const out: ChatMembersResult = { invalidIds: [], notExistedIds: [], pendingApprovalIds: [] };
    for (const ids of chunks(openIds, 50)) {
      const res = await this.call('chat.members.create', { serial: `chat:${chatId}` }, (o) =>
        this.client.im.v1.chatMembers.create(
          { path: { chat_id: chatId }, params: { member_id_type: 'open_id' }, data: { id_list: ids } },
          o,
        ),
      );
      out.invalidIds.push(...(res.data?.invalid_id_list ?? []));
      out.notExistedIds.push(...(res.data?.not_existed_id_list ?? []));
      out.pendingApprovalIds.push(...(res.data?.pending_approval_id_list ?? []));
    }
    return out;
  }

  // ----- mail groups -----

  /**
   * The create has no idempotency key: after an unanswered attempt the group is looked up by its address and taken
   * as ours when it has the name, description and sender policy we asked for. `mayExist` (a run resumed after a
   * crash) looks before the first attempt too (see lookFirst). `adopted`: found rather than created by this call.
   */
  async createMailgroup(input: CreateMailgroupInput, opts: { mayExist?: boolean } = {}): Promise<{ mailgroupId: string; email: string; adopted: boolean }> {
    const p = parse(createMailgroupSchema, input, 'createMailgroup');
    const find = async () => {
      const g = await this.getMailgroup(p.email);
      const ours = g && (p.name === undefined || g.name === p.name) && (p.description === undefined || g.description === p.description)
        && (p.whoCanSendMail === undefined || g.whoCanSendMail === p.whoCanSendMail);
      return ours ? g : undefined;
    };
    const existing = opts.mayExist ? await this.lookFirst(find) : undefined;
    if (existing) return { mailgroupId: existing.mailgroupId, email: existing.email, adopted: true };
    let adopted = false;
    const res = await this.call('mailgroup.create', {}, (o) =>
      this.client.mail.v1.mailgroup.create(
        { data: { email: p.email, name: p.name, description: p.description, who_can_send_mail: p.whoCanSendMail } },
        o,
      ), {
      conflictCode: 1234006,
      find: async () => {
        const g = await find();
        adopted = g !== undefined;
        return g && { code: 0, data: { mailgroup_id: g.mailgroupId, email: g.email } };
      },
    });
    return { mailgroupId: need(res.data?.mailgroup_id, 'mailgroup.create', 'data.mailgroup_id'), email: res.data?.email ?? p.email, adopted };
  }

  /** A mail group by id or address (the API takes either); undefined when there is none (1234013). */
  async getMailgroup(idOrEmail: string): Promise<MailgroupInfo | undefined> {
    try {
      const res = await this.call('mailgroup.get', {}, (o) => this.client.mail.v1.mailgroup.get({ path: { mailgroup_id: idOrEmail } }, o));
      const g = res.data;
      return {
        mailgroupId: need(g?.mailgroup_id, 'mailgroup.get', 'data.mailgroup_id'),
        email: g?.email ?? idOrEmail,
        name: g?.name,
        description: g?.description,
        whoCanSendMail: g?.who_can_send_mail,
      };
    } catch (err) {
      if (err instanceof FeishuError && err.code === 1234013) return undefined;
      throw err;
    }
  }

  /**
   * batch_create takes 1–200 members per call; larger lists go in sequential chunks. It has no idempotency key:
   * after an unanswered attempt the group's members are listed, and a batch whose members are all in is done.
   */
  async addMailgroupMembers(mailgroupId: string, members: MailgroupMember[]): Promise<{ memberIds: string[] }> {
    const list = parse(z.array(mailgroupMemberSchema).min(1, 'give at least one member'), members, 'addMailgroupMembers');
    const memberIds: string[] = [];
    for (const batch of chunks(list, 200)) {
      const items = batch.map((m) => ({
        type: m.type,
        ...('userId' in m ? { user_id: m.userId } : {}),
        ...('departmentId' in m ? { department_id: m.departmentId } : {}),
        ...('email' in m ? { email: m.email } : {}),
      }));
      const find = async () => {
        const present = await this.listMailgroupMembers(mailgroupId);
        const ids = items.map((i) => present.find((p) => p.type === i.type && p.user_id === i.user_id && p.department_id === i.department_id
          && p.email?.toLowerCase() === i.email?.toLowerCase())?.member_id);
        return ids.every((id) => id !== undefined) ? { code: 0, data: { items: ids.map((member_id) => ({ member_id })) } } : undefined;
      };
      // The lookup takes no serial key: it runs inside this batch's turn on the group's key.
      const res = await this.call('mailgroup.members.batchCreate', { serial: `mailgroup:${mailgroupId}` }, (o) =>
        this.client.mail.v1.mailgroupMember.batchCreate(
          { path: { mailgroup_id: mailgroupId }, params: { user_id_type: 'open_id' }, data: { items } },
          o,
        ), { find, conflictCode: 1234008 });
      memberIds.push(...(res.data?.items ?? []).flatMap((i) => (i.member_id ? [i.member_id] : [])));
    }
    return { memberIds };
  }

  /** Every member of a mail group, users by open_id, 200 per page (the API's maximum). */
  private async listMailgroupMembers(mailgroupId: string) {
    const out: { member_id?: string; type?: string; user_id?: string; department_id?: string; email?: string }[] = [];
    let pageToken: string | undefined;
    do {
      const res = await this.call('mailgroup.members.list', {}, (o) =>
        this.client.mail.v1.mailgroupMember.list(
          { path: { mailgroup_id: mailgroupId }, params: { user_id_type: 'open_id', page_size: 200, page_token: pageToken } },
          o,
        ),
      );
      out.push(...(res.data?.items ?? []));
      pageToken = res.data?.has_more ? res.data.page_token : undefined;
    } while (pageToken);
    return out;
  }

  // ----- mail contacts, drafts, sending (user mailbox) -----

  /**
   * The create has no idempotency key and contacts carry no creation time: after an unanswered attempt the
   * mailbox's contacts are listed and one with exactly the fields we sent is taken as ours (an identical contact
   * that already existed is then reused, which leaves the mailbox as asked). `mayExist` (a run resumed after a
   * crash) looks before the first attempt too (see lookFirst). `adopted`: found rather than created by this call.
   */
  async createMailContact(
    mailbox: string, contact: MailContactInput, opts: { userToken?: string; mayExist?: boolean } = {},
  ): Promise<{ contactId: string; adopted: boolean }> {
    const c = parse(mailContactSchema, contact, 'createMailContact');
    const fields = ['name', 'mailAddress', 'company', 'phone', 'position', 'tag', 'remark'] as const;
    const find = async () => {
      const norm = (f: (typeof fields)[number], v: string | undefined) => (f === 'mailAddress' ? (v ?? '').toLowerCase() : (v ?? ''));
      const same = (x: MailContact) => fields.every((f) => norm(f, x[f]) === norm(f, c[f]));
      return (await this.listMailContacts(mailbox, { userToken: opts.userToken })).findLast(same);
    };
    const existing = opts.mayExist ? await this.lookFirst(find) : undefined;
    if (existing) return { contactId: existing.id, adopted: true };
    let adopted = false;
    const res = await this.call('mail.contact.create', { userToken: opts.userToken }, (o) =>
      this.client.mail.v1.userMailboxMailContact.create(
        {
          path: { user_mailbox_id: mailbox },
          data: { name: c.name, mail_address: c.mailAddress, company: c.company, phone: c.phone, position: c.position, tag: c.tag, remark: c.remark },
        },
        o,
      ), {
      find: async () => {
        const found = await find();
        adopted = found !== undefined;
        return found && { code: 0, data: { mail_contact: { id: found.id, name: found.name } } };
      },
    });
    return { contactId: need(res.data?.mail_contact?.id, 'mail.contact.create', 'data.mail_contact.id'), adopted };
  }

  /** Every contact of a mailbox, 50 per page (the API's maximum). */
  async listMailContacts(mailbox: string, opts: { userToken?: string } = {}): Promise<MailContact[]> {
    const out: MailContact[] = [];
    let pageToken: string | undefined;
    do {
      const res = await this.call('mail.contact.list', { userToken: opts.userToken }, (o) =>
        this.client.mail.v1.userMailboxMailContact.list(
          { path: { user_mailbox_id: mailbox }, params: { page_size: 50, page_token: pageToken } },
          o,
        ),
      );
      for (const x of res.data?.items ?? []) {
        if (!x.id) continue;
        out.push({
          id: x.id, name: x.name, mailAddress: x.mail_address || undefined, company: x.company || undefined, phone: x.phone || undefined,
          position: x.position || undefined, tag: x.tag || undefined, remark: x.remark || undefined,
        });
      }
      pageToken = res.data?.has_more ? res.data.page_token : undefined;
    } while (pageToken);
    return out;
  }

  async createDraft(mailbox: string, rawEml: string | Buffer, opts: { userToken: string }): Promise<{ draftId: string }> {
    const res = await this.call('mail.draft.create', { userToken: opts.userToken }, (o) =>
      this.client.mail.v1.userMailboxDraft.create({ path: { user_mailbox_id: mailbox }, data: { raw: base64url(rawEml) } }, o),
    );
    return { draftId: need(res.data?.draft?.id, 'mail.draft.create', 'data.draft.id') };
  }

  async updateDraft(mailbox: string, draftId: string, rawEml: string | Buffer, opts: { userToken: string }): Promise<void> {
    await this.call('mail.draft.update', { userToken: opts.userToken }, (o) =>
      this.client.mail.v1.userMailboxDraft.update(
        { path: { user_mailbox_id: mailbox, draft_id: draftId }, data: { raw: base64url(rawEml) } },
        o,
      ),
    );
  }

  async getDraft(mailbox: string, draftId: string, opts: { userToken: string; format?: 'metadata' | 'raw' | 'full' }): Promise<DraftInfo> {
    const res = await this.call('mail.draft.get', { userToken: opts.userToken }, (o) =>
      this.client.mail.v1.userMailboxDraft.get(
        { path: { user_mailbox_id: mailbox, draft_id: draftId }, params: { format: opts.format ?? 'metadata' } },
        o,
      ),
    );
    const draft = res.data?.draft;
    // `raw` (format=raw) is missing from the SDK typings (platform.md §4.5).
    const message = draft?.message as { subject?: string; raw?: string } | undefined;
    return { id: need(draft?.id, 'mail.draft.get', 'data.draft.id'), subject: message?.subject, raw: message?.raw };
  }

  /** Serialised per mailbox: Feishu locks sending per user and answers 1236006 to concurrent sends. */
  async sendDraft(mailbox: string, draftId: string, opts: { userToken: string }): Promise<{ messageId: string; threadId?: string }> {
    const res = await this.call('mail.draft.send', { userToken: opts.userToken, serial: `mailbox:${mailbox}` }, (o) =>
      this.client.mail.v1.userMailboxDraft.send({ path: { user_mailbox_id: mailbox, draft_id: draftId }, data: {} }, o),
    );
    return { messageId: need(res.data?.message_id, 'mail.draft.send', 'data.message_id'), threadId: res.data?.thread_id };
  }

  async sendMail(mailbox: string, body: SendMailInput, opts: { userToken: string }): Promise<{ messageId: string; threadId?: string }> {
    const b = parse(sendMailSchema, body, 'sendMail');
    const data = { ...b, raw: b.raw === undefined ? undefined : base64url(b.raw), dedupe_key: b.dedupe_key ?? retrySafeId() };
    const res = await this.call('mail.message.send', { userToken: opts.userToken, serial: `mailbox:${mailbox}` }, (o) =>
      this.client.mail.v1.userMailboxMessage.send({ path: { user_mailbox_id: mailbox }, data }, o),
    );
    return { messageId: need(res.data?.message_id, 'mail.message.send', 'data.message_id'), threadId: res.data?.thread_id };
  }

  // ----- contact -----

  async getUser(openIdValue: string): Promise<FeishuUser> {
    const res = await this.call('user.get', {}, (o) =>
      this.client.contact.v3.user.get({ path: { user_id: openIdValue }, params: { user_id_type: 'open_id' } }, o),
    );
    const u = res.data?.user;
    return {
      openId: need(u?.open_id, 'user.get', 'data.user.open_id'),
      name: u?.name ?? '',
      enName: u?.en_name || undefined,
      email: u?.email || undefined,
      enterpriseEmail: u?.enterprise_email || undefined,
      isResigned: u?.status?.is_resigned ?? false,
    };
  }

  /** Maps each email to its open_id, or undefined when the user is unknown or not visible to the app. */
  async batchGetIdByEmail(emails: string[]): Promise<Map<string, string | undefined>> {
    parse(z.array(email), emails, 'batchGetIdByEmail');
    const out = new Map<string, string | undefined>(emails.map((e) => [e, undefined]));
    for (const batch of chunks(emails, 50)) {
      const res = await this.call('user.batchGetId', {}, (o) =>
        this.client.contact.v3.user.batchGetId({ params: { user_id_type: 'open_id' }, data: { emails: batch } }, o),
      );
      for (const u of res.data?.user_list ?? []) if (u.email && u.user_id) out.set(u.email, u.user_id);
    }
    return out;
  }

  // ----- the call pipeline -----

  /** A run resumed after a crash: the dead run's create may still be running on Feishu's side, so let it land first. */
  private async lookFirst<T>(find: () => Promise<T | undefined>): Promise<T | undefined> {
    await this.sleep(this.settleMs);
    return find();
  }

  private call<R extends SdkBody>(
    endpoint: Endpoint, opts: CallOptions, request: (o?: RequestOptions) => Promise<R>, reconciler?: Reconciler<NoInfer<R>>,
  ): Promise<R> {
    const run = () => this.attempt(endpoint, opts, request, reconciler);
    return opts.serial ? this.serial.run(opts.serial, run) : run();
  }

  private async attempt<R extends SdkBody>(
    endpoint: Endpoint, opts: CallOptions, request: (o?: RequestOptions) => Promise<R>, reconciler?: Reconciler<NoInfer<R>>,
  ): Promise<R> {
    // Never withAll: it drops the Symbol-keyed user token (node-sdk.md §2.4).
    const requestOptions = opts.userToken ? lark.withUserAccessToken(opts.userToken) : undefined;
    let refreshed = false;
    /** An earlier attempt went unanswered: Feishu may have performed it. */
    let unanswered = false;
    const reconcile = async (logLine: object): Promise<R | undefined> => {
      const found = await reconciler?.find();
      if (found) this.log.info(logLine, 'an unanswered attempt had been performed: taking its result');
      return found;
    };
    for (let attempt = 1; ; attempt++) {
      await this.limiter.acquire(endpoint, opts.key);
      const started = this.now();
      let error: FeishuError;
      try {
        const body = await request(requestOptions);
        if (body === null || typeof body !== 'object' || typeof body.code !== 'number') {
          throw new FeishuError({ code: MALFORMED_RESPONSE, msg: 'response has no numeric code', endpoint, httpStatus: 200 });
        }
        if (body.code === 0) {
          this.record(endpoint, 0);
          this.log.debug({ endpoint, attempt, ms: this.now() - started }, 'open api call ok');
          return body;
        }
        error = new FeishuError({ code: body.code, msg: body.msg ?? '', endpoint, httpStatus: 200, logId: body.error?.log_id });
      } catch (e) {
        error = toFeishuError(endpoint, e);
      }
      this.record(endpoint, error.code);
      const logLine = { endpoint, attempt, code: error.code, httpStatus: error.httpStatus, logId: error.logId, msg: error.msg };
      if (TOKEN_CODES.has(error.code) && !opts.userToken && !refreshed) {
        // The SDK never invalidates its cached tenant token (node-sdk.md §2.3): drop it and try once more.
        refreshed = true;
        this.tokens.clear();
        this.log.info(logLine, 'tenant token rejected; refreshing it once');
        attempt--;
        continue;
      }
      const ambiguous = reconciler !== undefined && mayHaveBeenPerformed(error);
      // A 5xx answer means Feishu is done with the call; without any answer it may still be working on it.
      const settle = ambiguous && error.code === NETWORK_ERROR ? this.settleMs : 0;
      if (unanswered && error.code === reconciler?.conflictCode) {
        const found = await reconcile(logLine);
        if (found) return found;
      }
      if (!error.retryable || attempt >= this.maxAttempts) {
        if (settle > 0) await this.sleep(settle);
        const found = ambiguous ? await reconcile(logLine) : undefined;
        if (found) return found;
        this.log.warn(logLine, 'open api call failed');
        throw error;
      }
      const delay = Math.max(this.backoff(attempt, error.retryAfterSeconds), settle);
      this.log.info({ ...logLine, retryInMs: delay }, 'open api call failed; retrying');
      await this.sleep(delay);
      if (ambiguous) {
        unanswered = true;
        const found = await reconcile(logLine);
        if (found) return found;
      }
    }
  }

  /** Exponential backoff, jittered over the upper half; never sooner than Feishu's own reset hint. */
  private backoff(attempt: number, retryAfterSeconds?: number): number {
    const ceiling = Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** (attempt - 1));
    const jittered = ceiling / 2 + (this.random() * ceiling) / 2;
    return Math.max(jittered, (retryAfterSeconds ?? 0) * 1000);
  }

  private record(endpoint: Endpoint, code: number): void {
    this.metrics?.openApiCalls.inc({ endpoint, code: String(code) });
  }
}

interface AxiosLike {
  message: string;
  code?: string;
  response?: { status: number; data?: unknown; headers?: Record<string, unknown> };
}

/** Both failure shapes (and transport failures) become one FeishuError. */
export function toFeishuError(endpoint: string, e: unknown): FeishuError {
  if (e instanceof FeishuError) return e;
  const err = e as AxiosLike;
  if (err && typeof err === 'object' && 'isAxiosError' in err) {
    const res = err.response;
    if (!res) return new FeishuError({ code: NETWORK_ERROR, msg: `${err.code ?? 'network error'}: ${err.message}`, endpoint });
    const body = (res.data ?? {}) as SdkBody;
    const header = (name: string) => {
      const v = res.headers?.[name];
      return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
    };
    const reset = Number(header('x-ogw-ratelimit-reset'));
    return new FeishuError({
      code: typeof body.code === 'number' ? body.code : MALFORMED_RESPONSE,
      msg: body.msg ?? err.message,
      endpoint,
      httpStatus: res.status,
      logId: body.error?.log_id ?? header('x-tt-logid'),
      retryAfterSeconds: Number.isFinite(reset) && reset > 0 ? reset : undefined,
    });
  }
  // The SDK's token fetch throws a plain Error carrying the platform code (node-sdk.md §2.6).
  const tokenFailure = e instanceof Error ? /failed to get tenant_access_token, code: (-?\d+)/.exec(e.message) : null;
  if (tokenFailure) return new FeishuError({ code: Number(tokenFailure[1]), msg: (e as Error).message, endpoint });
  throw e;
}

/**
 * An idempotency key for calls that have one (IM uuid, mail dedupe_key) when the caller gave none, so that
 * retrying after a timeout cannot create a second chat, message or mail.
 */
const retrySafeId = (): string => randomUUID();

function need<T>(value: T | undefined | null, endpoint: string, field: string): T {
  if (value === undefined || value === null || value === '') {
    throw new FeishuError({ code: MALFORMED_RESPONSE, msg: `response lacks ${field}`, endpoint, httpStatus: 200 });
  }
  return value;
}

function chunks<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
