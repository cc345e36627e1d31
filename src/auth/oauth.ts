/**
 * OAuth 2.0 sign-in for acting on a user's behalf (Feishu "获取授权码" / "获取 user_access_token"): the authorize
 * URL with PKCE S256, and single-use records bound to who asked, in which chat, and what to resume afterwards.
 *
 * The link on the sign-in card is the bot's own start page (a "ticket"), not Feishu's: opening it makes a fresh
 * `state` bound to that browser by a cookie, then redirects to Feishu. The callback is accepted only from the browser
 * that started it and only if the person who consented is the person who asked; anyone else who sees the card or the
 * callback URL can neither use nor cancel the sign-in.
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { t, type Text } from '../i18n.js';
import type { KeyValue, RandomBytes } from './kv.js';
import type { OAuthHttp, TokenGrant, UserIdentity } from './oauth-http.js';
import type { Sealer } from './seal.js';

export const AUTHORIZE_PATH = '/open-apis/authen/v1/authorize';
export const SIGN_IN_TTL_MS = 10 * 60_000;
/** Records outlive their validity so a late callback is told "expired"/"used", not "unknown". */
const RECORD_KEEP_MS = 2 * SIGN_IN_TTL_MS;

/**
 * offline_access, or Feishu returns no refresh token; then the scopes the mail pages name: drafts
 * (`mail:user_mailbox.message:modify`, "创建草稿"), sending (`mail:user_mailbox.message:send`, both send pages), and
 * mail contacts for `/contact add` as the user (`mail:user_mailbox.mail_contact:write`).
 */
export const SIGN_IN_SCOPES = [
  'offline_access',
  'mail:user_mailbox.message:modify',
  'mail:user_mailbox.message:send',
  'mail:user_mailbox.mail_contact:write',
] as const;

/**
 * The authorize page lives on the accounts host of the two public clouds; any other FEISHU_DOMAIN (the emulator,
 * a private deployment) serves it itself.
 */
export function authorizeBase(domain: string): string {
  const url = new URL(domain);
  const accounts: Record<string, string> = {
    'open.feishu.cn': 'accounts.feishu.cn',
    'open.larksuite.com': 'accounts.larksuite.com',
  };
  const host = accounts[url.hostname];
  return host ? `https://${host}` : url.origin;
}

export interface AuthorizeUrlInput {
  domain: string;
  appId: string;
  redirectUri: string;
  state: string;
  codeChallenge: string;
  scopes?: readonly string[];
}

export function buildAuthorizeUrl(i: AuthorizeUrlInput): string {
  const url = new URL(AUTHORIZE_PATH, authorizeBase(i.domain));
  url.search = new URLSearchParams({
    client_id: i.appId,
    response_type: 'code',
    redirect_uri: i.redirectUri,
    scope: (i.scopes ?? SIGN_IN_SCOPES).join(' '),
    state: i.state,
    code_challenge: i.codeChallenge,
    code_challenge_method: 'S256',
  }).toString();
  return url.toString();
}

export interface Pkce {
  verifier: string;
  challenge: string;
}

/** RFC 7636 S256: a 43-character verifier (32 random bytes) and its SHA-256, both base64url. */
export function createPkce(random: RandomBytes = randomBytes): Pkce {
  const verifier = random(32).toString('base64url');
  return { verifier, challenge: pkceChallenge(verifier) };
}

export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

export const signInRequestSchema = z.object({
  openId: z.string().min(1),
  /** Where the user asked; absent for a private run (bot menu): the bot then answers them privately. */
  chatId: z.string().min(1).optional(),
  /**
   * The command that needed sign-in, run again once the user is signed in: its parsed arguments as the handler got
   * them (never a re-rendered command line, which would let strings such as names become options or recipients),
   * the text as typed (for a body that spans lines) and the message to answer.
   */
  resume: z
    .object({
      command: z.string().min(1),
      args: z.record(z.string(), z.unknown()),
      text: z.string().optional(),
      messageId: z.string().optional(),
      /** The approved request this command carries out: it resumes as approved, not asking again. */
      approval: z.string().optional(),
    })
    .optional(),
});
export type SignInRequest = z.infer<typeof signInRequestSchema>;

/** What the card's link names: the request, valid until `expiresAt`, for any number of starts and one completion. */
const ticketSchema = z.object({ request: signInRequestSchema, expiresAt: z.number() });
/** One start of a ticket in one browser: `browser` is the SHA-256 of the nonce in that browser's cookie. */
const pendingSchema = z.object({
  ticket: z.string(),
  verifier: z.string().min(43),
  browser: z.string(),
  expiresAt: z.number(),
});

/** What Feishu appends to redirect_uri: `code` on consent, `error` on refusal, `state` either way. */
export const callbackQuerySchema = z
  .object({
    state: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/, 'state is malformed'),
    code: z.string().min(1).max(4096).optional(),
    error: z.string().max(200).optional(),
  })
  .refine((q) => (q.code === undefined) !== (q.error === undefined), 'exactly one of code and error is expected');

export type RefusalKind =
  | 'bad_request'
  | 'unknown_state'
  | 'used_state'
  | 'expired_state'
  | 'wrong_browser'
  | 'denied'
  | 'exchange_failed'
  | 'wrong_user';

export interface SignInRefusal {
  ok: false;
  kind: RefusalKind;
  /** The status for the callback page. */
  httpStatus: number;
  /** What went wrong and what to do, for the page and the chat. */
  problem: Text;
  /** Present once the state was good: who asked, in which chat, so the bot can tell them there. */
  request?: SignInRequest;
  /** Feishu's reason (token endpoint or user_info), for logs; never holds a secret. */
  detail?: string;
}

export type CallbackOutcome = { ok: true; request: SignInRequest; user: UserIdentity } | SignInRefusal;

/** The page's status for each refusal; its text is `login.refused.<kind>` in the catalog. */
const HTTP_STATUS: Record<RefusalKind, number> = {
  bad_request: 400,
  unknown_state: 400,
  used_state: 400,
  wrong_browser: 403,
  expired_state: 400,
  denied: 200,
  exchange_failed: 502,
  wrong_user: 403,
};

function refuse(kind: RefusalKind, extra: Pick<SignInRefusal, 'request' | 'detail'> = {}): SignInRefusal {
  return { ok: false, kind, httpStatus: HTTP_STATUS[kind], problem: t(`login.refused.${kind}`), ...extra };
}

/** Where the verified tokens go: the token vault. */
export interface TokenSink {
  save(user: UserIdentity, grant: TokenGrant): Promise<void>;
}

export interface SignInOptions {
  kv: KeyValue;
  http: OAuthHttp;
  tokens: TokenSink;
  /** Seals the pending record: it holds the PKCE verifier, which must not sit in the store in clear. */
  sealer: Sealer;
  domain: string;
  appId: string;
  /** `${PUBLIC_URL}/oauth/callback`; must be the same in the authorize URL and the exchange. */
  redirectUri: string;
  /** `${PUBLIC_URL}/oauth/start`: the card's link, which binds the sign-in to the browser that opens it. */
  startUri: string;
  scopes?: readonly string[];
  now?: () => number;
  random?: RandomBytes;
}

export interface StartedSignIn {
  /** The bot's start link for the card. */
  url: string;
  ticket: string;
  expiresAt: number;
}

/** A start in one browser: where to send it, and the cookie that binds the state to it. */
export interface BegunSignIn {
  ok: true;
  authorizeUrl: string;
  state: string;
  cookie: { name: string; value: string; maxAgeSeconds: number };
}

const ticketKey = (ticket: string) => `auth:signin-ticket:${ticket}`;
const ticketDoneKey = (ticket: string) => `auth:signin-ticket-done:${ticket}`;
const pendingKey = (state: string) => `auth:signin:${state}`;
const usedKey = (state: string) => `auth:signin-used:${state}`;
const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');
/** One cookie per state, so two sign-ins started in one browser do not overwrite each other. */
export const browserCookieName = (state: string) => `ops_signin_${sha256(state).slice(0, 16)}`;
const TICKET = /^[A-Za-z0-9_-]{16,128}$/;

export class SignIn {
  private readonly now: () => number;
  private readonly random: RandomBytes;

  constructor(private readonly o: SignInOptions) {
    this.now = o.now ?? Date.now;
    this.random = o.random ?? randomBytes;
  }

  /** Records the request (sealed: it may hold a mail's text) and returns the link for the card. */
  async start(request: SignInRequest): Promise<StartedSignIn> {
    const req = signInRequestSchema.parse(request);
    const ticket = this.random(32).toString('base64url');
    const expiresAt = this.now() + SIGN_IN_TTL_MS;
    await this.o.kv.set(
      ticketKey(ticket),
      this.o.sealer.seal({ request: req, expiresAt }, ticketKey(ticket)),
      RECORD_KEEP_MS,
    );
    const url = new URL(this.o.startUri);
    url.searchParams.set('t', ticket);
    return { url: url.toString(), ticket, expiresAt };
  }

  /** `GET /oauth/start?t=…`: a fresh state and PKCE pair for this browser, or why the link no longer works. */
  async begin(ticket: unknown): Promise<BegunSignIn | SignInRefusal> {
    if (typeof ticket !== 'string' || !TICKET.test(ticket)) return refuse('bad_request', { detail: 'no ticket' });
    if (await this.o.kv.get(ticketDoneKey(ticket))) return refuse('used_state');
    const found = await this.#ticket(ticket);
    if (!found) return refuse('unknown_state');
    if (found.expiresAt <= this.now()) return refuse('expired_state');
    const state = this.random(32).toString('base64url');
    const nonce = this.random(32).toString('base64url');
    const pkce = createPkce(this.random);
    const pending = { ticket, verifier: pkce.verifier, browser: sha256(nonce), expiresAt: found.expiresAt };
    await this.o.kv.set(pendingKey(state), this.o.sealer.seal(pending, pendingKey(state)), RECORD_KEEP_MS);
    const authorizeUrl = buildAuthorizeUrl({
      domain: this.o.domain,
      appId: this.o.appId,
      redirectUri: this.o.redirectUri,
      state,
      codeChallenge: pkce.challenge,
      scopes: this.o.scopes,
    });
    const maxAgeSeconds = Math.max(1, Math.ceil((found.expiresAt - this.now()) / 1000));
    return { ok: true, authorizeUrl, state, cookie: { name: browserCookieName(state), value: nonce, maxAgeSeconds } };
  }

  /**
   * Handles the query of `GET /oauth/callback` with the browser's cookies. Nothing is consumed unless the callback
   * comes from the browser that started this state; nothing is exchanged unless the state is also good and unused.
   */
  async complete(query: unknown, cookies: Readonly<Record<string, string>> = {}): Promise<CallbackOutcome> {
    const q = callbackQuerySchema.safeParse(query);
    if (!q.success) return refuse('bad_request', { detail: q.error.issues.map((i) => i.message).join('; ') });
    const { state, code } = q.data;
    const { kv } = this.o;

    const raw = await kv.get(pendingKey(state));
    const pending = raw === undefined ? undefined : pendingSchema.safeParse(this.o.sealer.open(raw, pendingKey(state)));
    if (!pending?.success) return refuse((await kv.get(usedKey(state))) ? 'used_state' : 'unknown_state');
    const nonce = cookies[browserCookieName(state)];
    if (nonce === undefined || sha256(nonce) !== pending.data.browser) return refuse('wrong_browser');
    if (pending.data.expiresAt <= this.now()) return refuse('expired_state');
    if (await kv.get(ticketDoneKey(pending.data.ticket))) return refuse('used_state');
    // The atomic claim makes the state single-use even when two callbacks race.
    if (!(await kv.setIfAbsent(usedKey(state), '1', RECORD_KEEP_MS))) return refuse('used_state');
    await kv.delete(pendingKey(state));
    const found = await this.#ticket(pending.data.ticket);
    if (!found) return refuse('expired_state');
    const { request } = found;
    // Declining spends this state only: the card's link can be opened again.
    if (code === undefined) return refuse('denied', { request, detail: q.data.error });

    const exchanged = await this.o.http.token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: this.o.redirectUri,
      code_verifier: pending.data.verifier,
    });
    if (!exchanged.ok)
      return refuse('exchange_failed', { request, detail: `${exchanged.code ?? ''} ${exchanged.description}`.trim() });

    let user: UserIdentity;
    try {
      user = await this.o.http.userInfo(exchanged.grant.access_token);
    } catch (e) {
      return refuse('exchange_failed', { request, detail: `user_info: ${(e as Error).message}` });
    }
    // Someone else opening the link would otherwise sign the asker in as themselves; their tokens are dropped.
    if (user.open_id !== request.openId)
      return refuse('wrong_user', { request, detail: `consented as ${user.open_id}` });
    // One completion per card link, however many browsers started it: the command it resumes runs once.
    if (!(await kv.setIfAbsent(ticketDoneKey(pending.data.ticket), '1', RECORD_KEEP_MS))) return refuse('used_state');
    await kv.delete(ticketKey(pending.data.ticket));

    await this.o.tokens.save(user, exchanged.grant);
    return { ok: true, request, user };
  }

  async #ticket(ticket: string): Promise<z.infer<typeof ticketSchema> | undefined> {
    const raw = await this.o.kv.get(ticketKey(ticket));
    const parsed = raw === undefined ? undefined : ticketSchema.safeParse(this.o.sealer.open(raw, ticketKey(ticket)));
    return parsed?.success ? parsed.data : undefined;
  }
}
