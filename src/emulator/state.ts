/**
 * The emulator's in-memory world: the seeded directory, chats, messages, card tokens and OAuth grants.
 * Routes mutate it; the event-delivery module reads it (users, chats, messages) and writes to it through
 * `recordUserMessage` and `issueCardToken`. Every time value is emulator time (`clock.now()`, epoch ms).
 */
import { randomBytes } from 'node:crypto';
import type { FeishuCardLocale } from '../protocol/card-locales.js';
import { EmulatorClock } from './clock.js';
import {
  APP_NAME,
  DEFAULT_APP_ID,
  DEFAULT_APP_SECRET,
  MAIL_DOMAIN,
  STANDING,
  TENANT_KEY,
  botOpenId,
  departmentId,
  newUser,
  openIdFor,
  seedUsers,
  type SeedUser,
} from './seed.js';

export type { SeedUser };

export type UserIdType = 'open_id' | 'union_id' | 'user_id';

export interface AppIdentity {
  appId: string;
  appSecret: string;
  appName: string;
  botOpenId: string;
  tenantKey: string;
  mailDomain: string;
}

export type Sender = { type: 'app'; id: string } | { type: 'user'; id: string };

export interface Chat {
  chatId: string;
  /** 'group' for chats made by the chat-create API, 'p2p' for the bot's single chat with a user. */
  chatMode: 'group' | 'p2p';
  chatType: 'private' | 'public';
  name: string;
  description: string;
  /** open_id of the owner, or the app_id when the creating bot owns the chat. */
  ownerId: string;
  ownerIdType: 'open_id' | 'app_id';
  /** Member open_ids (users only). */
  members: Set<string>;
  /** open_ids of the chat's managers (group administrators besides the owner). */
  managers: Set<string>;
  /** Member app_ids (bots). */
  bots: Set<string>;
  /** Users the remove-members API took out (open_ids, latest last), kept for the console. */
  removedMembers: string[];
  /** The app_id of the bot that created the chat through the API (not for p2p or seeded chats). */
  createdBy?: string;
  /** Set when the chat was dissolved: it then answers 232009 and is kept only for the console. */
  dissolvedAt?: number;
  createdAt: number;
  /** Every other request field, echoed back by the create response. */
  settings: Record<string, unknown>;
}

export interface Message {
  messageId: string;
  chatId: string;
  rootId?: string;
  parentId?: string;
  threadId?: string;
  sender: Sender;
  msgType: string;
  /** The content string as sent (for cards: the JSON string of the current card). */
  content: string;
  /** For interactive messages: the current card JSON. */
  card?: Record<string, unknown>;
  /** A user message's @mentions: the `@_user_N` placeholders in its text and who they stand for. */
  mentions?: { key: string; id: string; name: string }[];
  /** config.update_multi of the current card (PATCH and delayed updates need it). */
  updateMulti: boolean;
  createdAt: number;
  updatedAt: number;
  updated: boolean;
  deleted: boolean;
}

export interface CardToken {
  token: string;
  messageId: string;
  expiresAt: number;
  usesLeft: number;
}

export interface UserGrant {
  openId: string;
  scope: string;
  /** Absent when the grant did not ask for offline_access. */
  refreshToken?: string;
}

export interface AuthCode extends UserGrant {
  code: string;
  clientId: string;
  redirectUri?: string;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
  expiresAt: number;
  used: boolean;
}

export interface UserToken {
  token: string;
  openId: string;
  scope: string;
  expiresAt: number;
}

export interface RefreshToken {
  token: string;
  openId: string;
  scope: string;
  expiresAt: number;
  used: boolean;
  /** The access token issued with it (gets a 1-minute grace period when this one is used). */
  accessToken: string;
}

/** Extra state kept by a route module (e.g. mail): reset with the emulator and shown by GET /_emulator/state. */
export interface StateSection {
  reset(): void;
  snapshot(): unknown;
}

export const CARD_TOKEN_TTL_MS = 30 * 60_000;
export const USER_TOKEN_TTL_S = 7200;
/** The user scopes emulator routes check (RouteSpec.userScopes): mail send, drafts, mail contacts. */
export const USER_SCOPES = [
  'mail:user_mailbox.message:send',
  'mail:user_mailbox.message:modify',
  'mail:user_mailbox.mail_contact:write',
] as const;
export const REFRESH_TOKEN_TTL_S = 604_800;
export const CARD_TOKEN_USES = 2;

export function randomId(prefix: string, hexLength = 32): string {
  return (
    prefix +
    randomBytes(Math.ceil(hexLength / 2))
      .toString('hex')
      .slice(0, hexLength)
  );
}

export interface StateOptions {
  appId?: string;
  appSecret?: string;
  clock?: EmulatorClock;
  /** Seed the demo sandbox's standing chats and mail group (seed.ts STANDING), again after every reset. */
  standing?: boolean;
}

/** A user added to the directory at run time (POST /_emulator/events/user-created with `name`). */
export interface NewUserInput {
  name: string;
  enName?: string;
  /** ops, eng, hr or a department id. */
  department: string;
  /** The leader: open_id, email or name of a user already in the directory. */
  leader?: string;
  jobTitle?: string;
}

export class EmulatorState {
  readonly app: AppIdentity;
  readonly clock: EmulatorClock;
  /** The seeded directory, plus users added at run time (reset removes those). */
  readonly users: SeedUser[];
  readonly standing: boolean;
  readonly chats = new Map<string, Chat>();
  readonly messages = new Map<string, Message>();
  readonly cardTokens = new Map<string, CardToken>();
  readonly authCodes = new Map<string, AuthCode>();
  readonly userTokens = new Map<string, UserToken>();
  readonly refreshTokens = new Map<string, RefreshToken>();
  /** Dedupe windows: key → { id, at }. */
  readonly chatUuids = new Map<string, { chatId: string; at: number }>();
  readonly messageUuids = new Map<string, { messageId: string; at: number }>();
  /**
   * Each user's Feishu client language (set in the client, not in the directory): the language of the card texts
   * they read. Simplified Chinese unless set.
   */
  private readonly clientLanguages = new Map<string, FeishuCardLocale>();
  private readonly sections = new Map<string, StateSection>();

  constructor(opts: StateOptions = {}) {
    const appId = opts.appId ?? DEFAULT_APP_ID;
    this.app = {
      appId,
      appSecret: opts.appSecret ?? DEFAULT_APP_SECRET,
      appName: APP_NAME,
      botOpenId: botOpenId(appId),
      tenantKey: TENANT_KEY,
      mailDomain: MAIL_DOMAIN,
    };
    this.clock = opts.clock ?? new EmulatorClock();
    this.users = seedUsers();
    this.standing = opts.standing ?? false;
    this.seedStanding();
  }

  /** Adds a user to the directory (a new hire), in a department and under a leader that must exist. */
  addUser(input: NewUserInput): SeedUser {
    const dept = departmentId(input.department);
    if (!dept) throw new Error(`unknown department "${input.department}": use ops, eng, hr or a department id`);
    const leader =
      input.leader === undefined
        ? undefined
        : (this.userByOpenId(input.leader) ??
          this.userByEmail(input.leader) ??
          this.users.find((u) => u.name === input.leader || u.en_name === input.leader));
    if (input.leader !== undefined && !leader) throw new Error(`no leader ${input.leader} in the directory`);
    const n = this.users.length;
    const key = `hire:${n}:${input.name}`;
    const slug =
      (input.enName ?? '')
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '.')
        .replace(/^\.+|\.+$/g, '') || `hire${n}`;
    const user = newUser({
      key,
      name: input.name,
      en: input.enName ?? input.name,
      dept,
      leaderUserId: leader?.user_id ?? '',
      title: input.jobTitle ?? '',
      n,
    });
    // Readable, unique addresses (the key-derived ones would be hashes).
    const local = this.users.some((u) => u.email.startsWith(`${slug}@`)) ? `${slug}${n}` : slug;
    const added = { ...user, email: `${local}@example.com`, enterprise_email: `${local}@${this.app.mailDomain}` };
    this.users.push(added);
    return added;
  }

  now(): number {
    return this.clock.now();
  }

  // ---- directory ----

  clientLanguage(openId: string): FeishuCardLocale {
    return this.clientLanguages.get(openId) ?? 'zh_cn';
  }

  setClientLanguage(openId: string, language: FeishuCardLocale): void {
    this.clientLanguages.set(openId, language);
  }

  userByOpenId(openId: string): SeedUser | undefined {
    return this.users.find((u) => u.open_id === openId);
  }

  /** Matches the contact email or the enterprise email, case-insensitively. */
  userByEmail(email: string): SeedUser | undefined {
    const e = email.toLowerCase();
    return this.users.find((u) => u.email.toLowerCase() === e || u.enterprise_email.toLowerCase() === e);
  }

  userById(idType: UserIdType, id: string): SeedUser | undefined {
    return this.users.find((u) => u[idType] === id);
  }

  /** The user owning a mailbox address (enterprise email). */
  userByMailbox(address: string): SeedUser | undefined {
    const a = address.toLowerCase();
    return this.users.find((u) => u.enterprise_email.toLowerCase() === a);
  }

  /** Users of the app's own tenant who are active and inside the app's visibility. */
  isReachable(user: SeedUser): boolean {
    return user.tenant_key === this.app.tenantKey && !user.resigned && !user.invisible;
  }

  // ---- chats and messages ----

  /** The bot's p2p chat with a user, created on first use. */
  p2pChat(openId: string): Chat {
    for (const c of this.chats.values()) {
      if (c.chatMode === 'p2p' && c.members.has(openId)) return c;
    }
    const chat: Chat = {
      chatId: randomId('oc_'),
      chatMode: 'p2p',
      chatType: 'private',
      name: '',
      description: '',
      ownerId: this.app.appId,
      ownerIdType: 'app_id',
      members: new Set([openId]),
      managers: new Set(),
      bots: new Set([this.app.appId]),
      removedMembers: [],
      createdAt: this.now(),
      settings: {},
    };
    this.chats.set(chat.chatId, chat);
    return chat;
  }

  addMessage(m: Omit<Message, 'messageId' | 'createdAt' | 'updatedAt' | 'updated' | 'deleted'>): Message {
    const now = this.now();
    const msg: Message = {
      ...m,
      messageId: randomId('om_'),
      createdAt: now,
      updatedAt: now,
      updated: false,
      deleted: false,
    };
    this.messages.set(msg.messageId, msg);
    return msg;
  }

  /**
   * Records a message a user sent into a chat (for event delivery). The user must be a member of the chat.
   * Returns the new `om_` id.
   */
  recordUserMessage(input: {
    chatId: string;
    openId: string;
    msgType?: string;
    content: string;
    parentId?: string;
    mentions?: Message['mentions'];
  }): string {
    const chat = this.chats.get(input.chatId);
    if (!chat) throw new Error(`no chat ${input.chatId}: create it first or use p2pChat(openId)`);
    if (chat.dissolvedAt !== undefined) throw new Error(`chat ${input.chatId} was dissolved`);
    if (!chat.members.has(input.openId))
      throw new Error(`user ${input.openId} is not a member of chat ${input.chatId}`);
    const parent = input.parentId ? this.messages.get(input.parentId) : undefined;
    if (input.parentId && !parent) throw new Error(`no parent message ${input.parentId}`);
    return this.addMessage({
      chatId: chat.chatId,
      sender: { type: 'user', id: input.openId },
      msgType: input.msgType ?? 'text',
      content: input.content,
      updateMulti: false,
      ...(input.mentions?.length ? { mentions: input.mentions } : {}),
      ...(parent ? { parentId: parent.messageId, rootId: parent.rootId ?? parent.messageId } : {}),
    }).messageId;
  }

  /** Issues a `c-…` card callback token for a message: valid 30 min (emulator time), 2 uses. */
  issueCardToken(messageId: string): string {
    if (!this.messages.has(messageId)) throw new Error(`no message ${messageId}`);
    const token = randomId('c-', 40);
    this.cardTokens.set(token, {
      token,
      messageId,
      expiresAt: this.now() + CARD_TOKEN_TTL_MS,
      usesLeft: CARD_TOKEN_USES,
    });
    return token;
  }

  /**
   * Issues a user access token `u-…` (2 h), plus a single-use refresh token (7 days) when the scope includes
   * offline_access. Used by the OAuth token endpoint and by tests that need a user token without the browser step
   * (those get every user scope the emulator checks).
   */
  issueUserTokens(openId: string, scope = USER_SCOPES.join(' ')): { access: UserToken; refresh?: RefreshToken } {
    if (!this.userByOpenId(openId)) throw new Error(`no user ${openId}`);
    const now = this.now();
    const access: UserToken = { token: randomId('u-', 48), openId, scope, expiresAt: now + USER_TOKEN_TTL_S * 1000 };
    this.userTokens.set(access.token, access);
    if (!scope.split(' ').includes('offline_access')) return { access };
    const refresh: RefreshToken = {
      token: randomId('ur-', 48),
      openId,
      scope,
      expiresAt: now + REFRESH_TOKEN_TTL_S * 1000,
      used: false,
      accessToken: access.token,
    };
    this.refreshTokens.set(refresh.token, refresh);
    return { access, refresh };
  }

  // ---- extension sections (mail etc.) ----

  /** Registers a module's own state so reset clears it and GET /_emulator/state shows it. */
  registerSection(name: string, section: StateSection): void {
    this.sections.set(name, section);
  }

  reset(): void {
    this.chats.clear();
    this.messages.clear();
    this.cardTokens.clear();
    this.authCodes.clear();
    this.userTokens.clear();
    this.refreshTokens.clear();
    this.chatUuids.clear();
    this.messageUuids.clear();
    this.clientLanguages.clear();
    this.users.splice(0, this.users.length, ...seedUsers());
    for (const s of this.sections.values()) s.reset();
    this.seedStanding();
  }

  /** The chats of seed.ts STANDING, when this emulator has them (the mail group is seeded by the mail module). */
  private seedStanding(): void {
    if (!this.standing) return;
    for (const c of [STANDING.allHands, STANDING.admins]) {
      this.chats.set(c.chatId, {
        chatId: c.chatId,
        chatMode: 'group',
        chatType: 'private',
        name: c.name,
        description: '',
        ownerId: openIdFor(c.owner),
        ownerIdType: 'open_id',
        members: new Set([c.owner, ...c.members].map(openIdFor)),
        managers: new Set(),
        bots: new Set([this.app.appId]),
        removedMembers: [],
        createdAt: this.now(),
        // As docs/deploy.md advises: the bot is a manager of the chats onboarding adds people to, so Undo and
        // offboarding can take them out again.
        settings: { set_bot_manager: true },
      });
    }
  }

  snapshot(): Record<string, unknown> {
    const { appSecret: _secret, ...app } = this.app;
    const sections: Record<string, unknown> = {};
    for (const [name, s] of this.sections) sections[name] = s.snapshot();
    return {
      app,
      now: this.now(),
      timeScale: this.clock.scale,
      users: this.users,
      clientLanguages: Object.fromEntries(this.users.map((u) => [u.open_id, this.clientLanguage(u.open_id)])),
      chats: [...this.chats.values()].map((c) => ({
        ...c,
        members: [...c.members],
        managers: [...c.managers],
        bots: [...c.bots],
      })),
      messages: [...this.messages.values()],
      cardTokens: [...this.cardTokens.values()].map(({ messageId, expiresAt, usesLeft }) => ({
        messageId,
        expiresAt,
        usesLeft,
      })),
      ...sections,
    };
  }
}
