/**
 * The token vault: each signed-in user's tokens, sealed with AES-256-GCM under TOKEN_ENCRYPTION_KEY before they
 * reach the key/value store, so the store never holds a token in clear. It hands out access tokens, refreshing
 * them ahead of expiry. Feishu's refresh tokens are single-use (page "刷新 user_access_token"), so one user's
 * refreshes run one at a time behind a keyed lock and re-read the session first: N concurrent callers cause one
 * refresh call.
 */
import { z } from 'zod';
import type { SignInNeeded } from '../feishu/errors.js';
import type { KeyValue, RandomBytes } from './kv.js';
import type { OAuthHttp, TokenGrant, UserIdentity } from './oauth-http.js';
import type { TokenSink } from './oauth.js';
import { InProcessLock, type KeyedLock } from '../store/lock.js';
import { Sealer } from './seal.js';

export { InProcessLock, type KeyedLock } from '../store/lock.js';

/** Refresh this long before the access token expires, so a call never starts with a token about to lapse. */
export const REFRESH_AHEAD_MS = 5 * 60_000;

/** What the call pipeline asks for when it acts as a user. */
export interface UserTokenProvider {
  accessToken(openId: string): Promise<string>;
  refresh(openId: string): Promise<string>;
}

export type NeedsSignInReason = 'not_signed_in' | 'session_expired' | 'refresh_rejected' | 'unreadable';

/**
 * The user must sign in again (show the sign-in card). An expected outcome, not a fault: thrown by the
 * provider methods because their shape returns a bare token. Recognised everywhere by `needsSignIn` (feishu/errors).
 */
export class NeedsSignIn extends Error implements SignInNeeded {
  readonly kind = 'needs_sign_in' as const;

  constructor(
    readonly openId: string,
    readonly reason: NeedsSignInReason,
    detail?: string,
  ) {
    super(`${openId} needs to sign in (${reason}${detail ? `: ${detail}` : ''})`);
    this.name = 'NeedsSignIn';
  }
}

/** Feishu's token endpoint is down or throttling and the current access token has lapsed: retry later. */
export class TokenServiceUnavailable extends Error {
  readonly kind = 'token_service_unavailable' as const;

  constructor(
    readonly openId: string,
    detail: string,
  ) {
    super(`refreshing the token of ${openId} failed: ${detail}`);
    this.name = 'TokenServiceUnavailable';
  }
}

const KEY_HELP = "generate one with: node -e \"console.log(require('node:crypto').randomBytes(32).toString('hex'))\"";

/** TOKEN_ENCRYPTION_KEY: exactly 32 bytes, as 64 hex characters or base64 (standard or url-safe). */
export function parseEncryptionKey(text: string | undefined, name = 'TOKEN_ENCRYPTION_KEY'): Buffer {
  const value = text?.trim() ?? '';
  if (!value) throw new Error(`${name} is not set: it must be 32 random bytes as hex or base64; ${KEY_HELP}`);
  const hex = /^[0-9a-fA-F]+$/.test(value);
  if (hex && value.length === 64) return Buffer.from(value, 'hex');
  const base64 = /^[A-Za-z0-9+/_-]+={0,2}$/.test(value);
  const bytes = base64 ? Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64') : Buffer.alloc(0);
  if (bytes.length !== 32) {
    const got = hex
      ? `${value.length} hex characters (64 needed)`
      : base64
        ? `base64 of ${bytes.length} bytes (32 needed)`
        : 'neither hex nor base64';
    throw new Error(`${name} must be 32 bytes as hex or base64, got ${got}; ${KEY_HELP}`);
  }
  return bytes;
}

const sessionSchema = z.object({
  openId: z.string(),
  name: z.string(),
  /** The user's enterprise mailbox: the From of their mail. */
  mailbox: z.string().optional(),
  scope: z.string(),
  accessToken: z.string(),
  accessExpiresAt: z.number(),
  refreshToken: z.string().optional(),
  refreshExpiresAt: z.number().optional(),
  signedInAt: z.number(),
});
type Session = z.infer<typeof sessionSchema>;

export type SessionStatus =
  | { signedIn: false }
  | {
      signedIn: true;
      openId: string;
      name: string;
      mailbox?: string;
      scopes: string[];
      signedInAt: number;
      /** The session lasts until the refresh token expires (or the access token, without offline_access). */
      until: number;
    };

export interface TokenVaultOptions {
  kv: KeyValue;
  /** 32 bytes, from parseEncryptionKey or ensureKeyFile. */
  key: Buffer;
  /** The token endpoint, for refreshes. */
  http: Pick<OAuthHttp, 'token'>;
  lock?: KeyedLock;
  now?: () => number;
  random?: RandomBytes;
  refreshAheadMs?: number;
  /**
   * Keeps these sessions apart from any others in the same store. The sandbox names one per emulator: a fresh
   * emulator knows none of the tokens an earlier one issued, so the sessions holding them are not looked at again.
   */
  namespace?: string;
}

export class TokenVault implements UserTokenProvider, TokenSink {
  private readonly lock: KeyedLock;
  private readonly now: () => number;
  private readonly sealer: Sealer;
  private readonly ahead: number;

  constructor(private readonly o: TokenVaultOptions) {
    this.lock = o.lock ?? new InProcessLock();
    this.now = o.now ?? Date.now;
    this.sealer = new Sealer(o.key, o.random);
    this.ahead = o.refreshAheadMs ?? REFRESH_AHEAD_MS;
  }

  async save(user: UserIdentity, grant: TokenGrant): Promise<void> {
    const now = this.now();
    await this.write(
      this.session(now, grant, {
        // Only the enterprise mailbox can be a sender (1236017); a contact email cannot.
        openId: user.open_id,
        name: user.name,
        mailbox: user.enterprise_email || undefined,
        signedInAt: now,
      }),
    );
  }

  async accessToken(openId: string): Promise<string> {
    const current = await this.read(openId);
    if (this.fresh(current)) return current.accessToken;
    return this.lock.run(openId, async () => {
      const latest = await this.read(openId);
      return this.fresh(latest) ? latest.accessToken : this.renew(latest);
    });
  }

  /**
   * Refresh now, e.g. after Feishu refused the token (99991668/99991677). Pass that token as `rejected` so
   * concurrent callers that saw the same refusal share one refresh.
   */
  async refresh(openId: string, rejected?: string): Promise<string> {
    return this.lock.run(openId, async () => {
      const latest = await this.read(openId);
      if (rejected !== undefined && latest.accessToken !== rejected && this.fresh(latest)) return latest.accessToken;
      return this.renew(latest);
    });
  }

  /** /logout: the tokens are deleted (Feishu has no revoke endpoint in the pages; they lapse on their own). */
  async forget(openId: string): Promise<void> {
    await this.o.kv.delete(this.keyOf(openId));
  }

  async status(openId: string): Promise<SessionStatus> {
    const s = await this.load(openId);
    if (!s.ok || this.ended(s.session)) return { signedIn: false };
    const { name, mailbox, scope, signedInAt } = s.session;
    return {
      signedIn: true,
      openId,
      name,
      ...(mailbox ? { mailbox } : {}),
      scopes: scope.split(' ').filter(Boolean),
      signedInAt,
      until: this.until(s.session),
    };
  }

  private fresh(s: Session): boolean {
    return s.accessExpiresAt - this.ahead > this.now();
  }

  private until(s: Session): number {
    return s.refreshExpiresAt ?? s.accessExpiresAt;
  }

  private ended(s: Session): boolean {
    return this.until(s) <= this.now();
  }

  private session(
    now: number,
    grant: TokenGrant,
    who: Pick<Session, 'openId' | 'name' | 'mailbox' | 'signedInAt'>,
  ): Session {
    return {
      ...who,
      scope: grant.scope,
      accessToken: grant.access_token,
      accessExpiresAt: now + grant.expires_in * 1000,
      ...(grant.refresh_token
        ? {
            refreshToken: grant.refresh_token,
            refreshExpiresAt: now + (grant.refresh_token_expires_in ?? grant.expires_in) * 1000,
          }
        : {}),
    };
  }

  /** Called under the user's lock with the latest session. */
  private async renew(s: Session): Promise<string> {
    if (!s.refreshToken || this.ended(s)) {
      await this.o.kv.delete(this.keyOf(s.openId));
      throw new NeedsSignIn(s.openId, 'session_expired');
    }
    const started = this.now();
    const r = await this.o.http.token({ grant_type: 'refresh_token', refresh_token: s.refreshToken });
    if (r.ok) {
      const { openId, name, mailbox, signedInAt } = s;
      await this.write(this.session(started, r.grant, { openId, name, mailbox, signedInAt }));
      return r.grant.access_token;
    }
    if (r.kind === 'unavailable') {
      if (s.accessExpiresAt > this.now()) return s.accessToken;
      throw new TokenServiceUnavailable(s.openId, r.description);
    }
    // Another process sharing the store may have refreshed meanwhile: its session stands.
    const latest = await this.load(s.openId);
    if (latest.ok && latest.session.refreshToken !== s.refreshToken && this.fresh(latest.session))
      return latest.session.accessToken;
    await this.o.kv.delete(this.keyOf(s.openId));
    throw new NeedsSignIn(s.openId, 'refresh_rejected', `${r.code ?? ''} ${r.description}`.trim());
  }

  private async read(openId: string): Promise<Session> {
    const s = await this.load(openId);
    if (s.ok) return s.session;
    throw new NeedsSignIn(openId, s.reason);
  }

  private async load(
    openId: string,
  ): Promise<{ ok: true; session: Session } | { ok: false; reason: NeedsSignInReason }> {
    const sealed = await this.o.kv.get(this.keyOf(openId));
    if (sealed === undefined) return { ok: false, reason: 'not_signed_in' };
    const plain = this.sealer.open(sealed, this.keyOf(openId));
    const session = plain === undefined ? undefined : sessionSchema.safeParse(plain);
    // A record sealed under another key (rotated TOKEN_ENCRYPTION_KEY) cannot be read: the user signs in again.
    return session?.success ? { ok: true, session: session.data } : { ok: false, reason: 'unreadable' };
  }

  private async write(s: Session): Promise<void> {
    const key = this.keyOf(s.openId);
    await this.o.kv.set(key, this.sealer.seal(s, key), Math.max(1, this.until(s) - this.now()));
  }

  private keyOf(openId: string): string {
    return `auth:tokens:${this.o.namespace ? `${this.o.namespace}:` : ''}${openId}`;
  }
}
