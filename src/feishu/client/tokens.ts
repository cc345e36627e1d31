/**
 * Where tokens come from: the tenant token through the SDK's own token manager (with a cache we own, so it can be
 * dropped), user tokens through a UserTokenProvider.
 */
import type * as lark from '@larksuiteoapi/node-sdk';

/**
 * User access tokens by open_id (the token vault implements it). `undefined`: the user has not signed in, or the
 * sign-in can no longer be refreshed; a provider may throw a SignInNeeded instead (the vault's, saying why), which
 * reaches the caller as it is. Refresh tokens are single-use, so `refresh` gets the token Feishu rejected:
 * when the vault already holds a newer one (another call refreshed first) it returns that instead of refreshing.
 */
export interface UserTokenProvider {
  accessToken(openId: string): Promise<string | undefined>;
  refresh(openId: string, rejected: string): Promise<string | undefined>;
}

/** A Cache for the SDK that the client owns, so it can drop the tenant token on 99991663. */
export class TokenCache implements lark.Cache {
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

/**
 * The SDK's TokenManager fetches a tenant token per call while its cache is cold (no in-flight de-duplication:
 * 5 concurrent calls make 5 token requests); concurrent callers share one fetch instead.
 */
export function singleFlightTenantFetch(client: lark.Client): void {
  const manager = client.tokenManager;
  const fetchToken = manager.getTenantAccessToken.bind(manager);
  let inflight: ReturnType<typeof fetchToken> | undefined;
  manager.getTenantAccessToken = (params) => {
    inflight ??= fetchToken(params).finally(() => {
      inflight = undefined;
    });
    return inflight;
  };
}

/** Concurrent refreshes for one user share one call: a second would spend the refresh token the first used. */
export class UserTokens {
  private readonly refreshing = new Map<string, Promise<string | undefined>>();

  constructor(private readonly provider: UserTokenProvider | undefined) {}

  current(openId: string): Promise<string | undefined> {
    return this.provider ? this.provider.accessToken(openId) : Promise.resolve(undefined);
  }

  refresh(openId: string, rejected: string): Promise<string | undefined> {
    const provider = this.provider;
    if (!provider) return Promise.resolve(undefined);
    let pending = this.refreshing.get(openId);
    if (!pending) {
      pending = provider.refresh(openId, rejected).finally(() => this.refreshing.delete(openId));
      this.refreshing.set(openId, pending);
    }
    return pending;
  }
}
