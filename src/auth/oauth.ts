/**
 * OAuth 2.0 sign-in for acting on a user's behalf (platform.md §4.2): the authorize URL with PKCE S256, and a
 * `state` that is random, single-use, valid 10 minutes and bound to who asked, in which chat, and which command
 * to resume afterwards. The callback is accepted only for that state, and only if the person who consented is
 * the person who asked.
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { KeyValue, RandomBytes } from './kv.js';
import type { OAuthHttp, TokenGrant, UserIdentity } from './oauth-http.js';
import type { Sealer } from './seal.js';

export const AUTHORIZE_PATH = '/open-apis/authen/v1/authorize';
export const SIGN_IN_TTL_MS = 10 * 60_000;
/** Records outlive their validity so a late callback is told "expired"/"used", not "unknown". */
const RECORD_KEEP_MS = 2 * SIGN_IN_TTL_MS;

/**
 * offline_access, or Feishu returns no refresh token; then the scopes the mail pages name: drafts
 * (`mail:user_mailbox.message:modify`, §4.5), sending (`mail:user_mailbox.message:send`, both send pages), and
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
  const accounts: Record<string, string> = { 'open.feishu.cn': 'accounts.feishu.cn', 'open.larksuite.com': 'accounts.larksuite.com' };
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
  /** The command that needed sign-in, replayed once the user is signed in. */
  resume: z.object({ text: z.string(), messageId: z.string().optional() }).optional(),
});
export type SignInRequest = z.infer<typeof signInRequestSchema>;

const pendingSchema = signInRequestSchema.extend({ verifier: z.string().min(43), expiresAt: z.number() });

/** What Feishu appends to redirect_uri: `code` on consent, `error` on refusal, `state` either way. */
export const callbackQuerySchema = z
  .object({
    state: z.string().regex(/^[A-Za-z0-9_-]{16,128}$/, 'state is malformed'),
    code: z.string().min(1).max(4096).optional(),
    error: z.string().max(200).optional(),
  })
  .refine((q) => (q.code === undefined) !== (q.error === undefined), 'exactly one of code and error is expected');

export type RefusalKind = 'bad_request' | 'unknown_state' | 'used_state' | 'expired_state' | 'denied' | 'exchange_failed' | 'wrong_user';

export interface SignInRefusal {
  ok: false;
  kind: RefusalKind;
  /** The status for the callback page. */
  httpStatus: number;
  zh: string;
  en: string;
  /** Present once the state was good: who asked, in which chat, so the bot can tell them there. */
  request?: SignInRequest;
  /** Feishu's reason (token endpoint or user_info), for logs; never holds a secret. */
  detail?: string;
}

export type CallbackOutcome = { ok: true; request: SignInRequest; user: UserIdentity } | SignInRefusal;

const REFUSALS: Record<RefusalKind, Pick<SignInRefusal, 'httpStatus' | 'zh' | 'en'>> = {
  bad_request: { httpStatus: 400, zh: '登录回调缺少参数。请在飞书中重新发送 /login。', en: 'The sign-in callback is missing parameters. Send /login in Feishu again.' },
  unknown_state: { httpStatus: 400, zh: '无法识别此登录链接。请在飞书中重新发送 /login。', en: 'This sign-in link is not one the bot issued. Send /login in Feishu again.' },
  used_state: { httpStatus: 400, zh: '此登录链接已使用过。请在飞书中重新发送 /login。', en: 'This sign-in link was already used. Send /login in Feishu again.' },
  expired_state: { httpStatus: 400, zh: '此登录链接已超过 10 分钟有效期。请在飞书中重新发送 /login。', en: 'This sign-in link expired (valid 10 minutes). Send /login in Feishu again.' },
  denied: { httpStatus: 200, zh: '你已取消授权，机器人不会代表你操作邮箱。', en: 'You declined; the bot will not act on your mailbox.' },
  exchange_failed: { httpStatus: 502, zh: '飞书未能完成登录，请稍后在飞书中重新发送 /login。', en: 'Feishu could not complete the sign-in. Send /login in Feishu again in a moment.' },
  wrong_user: { httpStatus: 403, zh: '授权的账号与发起登录的人不一致，已忽略。请由发起者本人完成授权。', en: 'The account that consented is not the one that asked to sign in; ignored. The person who sent /login must consent.' },
};

function refuse(kind: RefusalKind, extra: Pick<SignInRefusal, 'request' | 'detail'> = {}): SignInRefusal {
  return { ok: false, kind, ...REFUSALS[kind], ...extra };
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
  scopes?: readonly string[];
  now?: () => number;
  random?: RandomBytes;
}

export interface StartedSignIn {
  url: string;
  state: string;
  expiresAt: number;
}

const pendingKey = (state: string) => `auth:signin:${state}`;
const usedKey = (state: string) => `auth:signin-used:${state}`;

export class SignIn {
  private readonly now: () => number;
  private readonly random: RandomBytes;

  constructor(private readonly o: SignInOptions) {
    this.now = o.now ?? Date.now;
    this.random = o.random ?? randomBytes;
  }

  async start(request: SignInRequest): Promise<StartedSignIn> {
    const req = signInRequestSchema.parse(request);
    const state = this.random(32).toString('base64url');
    const pkce = createPkce(this.random);
    const expiresAt = this.now() + SIGN_IN_TTL_MS;
    const sealed = this.o.sealer.seal({ ...req, verifier: pkce.verifier, expiresAt }, pendingKey(state));
    await this.o.kv.set(pendingKey(state), sealed, RECORD_KEEP_MS);
    const url = buildAuthorizeUrl({
      domain: this.o.domain, appId: this.o.appId, redirectUri: this.o.redirectUri, state, codeChallenge: pkce.challenge, scopes: this.o.scopes,
    });
    return { url, state, expiresAt };
  }

  /** Handles the query of `GET /oauth/callback`. Nothing is exchanged unless the state is good and unused. */
  async complete(query: unknown): Promise<CallbackOutcome> {
    const q = callbackQuerySchema.safeParse(query);
    if (!q.success) return refuse('bad_request', { detail: q.error.issues.map((i) => i.message).join('; ') });
    const { state, code } = q.data;
    const { kv } = this.o;

    if (await kv.get(usedKey(state))) return refuse('used_state');
    const raw = await kv.get(pendingKey(state));
    const pending = raw === undefined ? undefined : pendingSchema.safeParse(this.o.sealer.open(raw, pendingKey(state)));
    if (!pending?.success) return refuse('unknown_state');
    if (pending.data.expiresAt <= this.now()) return refuse('expired_state');
    // The atomic claim makes the state single-use even when two callbacks race.
    if (!(await kv.setIfAbsent(usedKey(state), '1', RECORD_KEEP_MS))) return refuse('used_state');
    await kv.delete(pendingKey(state));

    const { verifier, expiresAt: _expiresAt, ...request } = pending.data;
    if (code === undefined) return refuse('denied', { request, detail: q.data.error });

    const exchanged = await this.o.http.token({ grant_type: 'authorization_code', code, redirect_uri: this.o.redirectUri, code_verifier: verifier });
    if (!exchanged.ok) return refuse('exchange_failed', { request, detail: `${exchanged.code ?? ''} ${exchanged.description}`.trim() });

    let user: UserIdentity;
    try {
      user = await this.o.http.userInfo(exchanged.grant.access_token);
    } catch (e) {
      return refuse('exchange_failed', { request, detail: `user_info: ${(e as Error).message}` });
    }
    // Someone else opening the link would otherwise sign the asker in as themselves; their tokens are dropped.
    if (user.open_id !== request.openId) return refuse('wrong_user', { request, detail: `consented as ${user.open_id}` });

    await this.o.tokens.save(user, exchanged.grant);
    return { ok: true, request, user };
  }
}
