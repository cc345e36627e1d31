/**
 * The two OAuth calls sign-in and the vault make (Feishu "获取 user_access_token" and "刷新 user_access_token"):
 * the v2 token endpoint (code exchange and refresh) and user_info.
 *
 * user_info goes through the official SDK's generated `authen.v1.userInfo.get` with the user's token. The v2 token
 * endpoint has no generated method (larksuite/node-sdk#132; `client.accessToken.*` posts to a different
 * `/oauth/v3/token`), and `client.request` does not fit it: it first fetches and attaches a tenant token the
 * endpoint does not use (sign-in would fail whenever the tenant token does), and on the HTTP 400 every OAuth error
 * comes with it logs the whole AxiosError, request body included: client_secret, code_verifier, refresh_token.
 * So the token endpoint is one narrow typed fetch whose errors are parsed, never logged.
 */
import type * as lark from '@larksuiteoapi/node-sdk';
import { z } from 'zod';
import { larkSdk } from '../feishu/sdk.js';

export const TOKEN_PATH = '/open-apis/authen/v2/oauth/token';

export const tokenGrantSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().int().positive(),
  /** Absent unless the grant included offline_access. */
  refresh_token: z.string().min(1).optional(),
  refresh_token_expires_in: z.number().int().positive().optional(),
  scope: z.string().default(''),
});
export type TokenGrant = z.infer<typeof tokenGrantSchema>;

const tokenErrorSchema = z.object({
  code: z.number().int(),
  error: z.string().optional(),
  error_description: z.string().optional(),
});

export type TokenRequest =
  | { grant_type: 'authorization_code'; code: string; redirect_uri: string; code_verifier: string }
  | { grant_type: 'refresh_token'; refresh_token: string };

/**
 * `rejected`: Feishu answered with a definitive OAuth error (bad, expired, used or revoked code/refresh token);
 * retrying the same request cannot succeed. `unavailable`: a server error, rate limit, network failure or an
 * unreadable answer; the same request may succeed later.
 */
export type TokenResult =
  | { ok: true; grant: TokenGrant }
  | { ok: false; kind: 'rejected' | 'unavailable'; code?: number; description: string; logId?: string };

export const userIdentitySchema = z.object({
  open_id: z.string().min(1),
  name: z.string().default(''),
  enterprise_email: z.string().optional(),
  email: z.string().optional(),
});
export type UserIdentity = z.infer<typeof userIdentitySchema>;

export interface OAuthHttp {
  token(request: TokenRequest): Promise<TokenResult>;
  /** Who owns this user token; throws when Feishu does not say. */
  userInfo(accessToken: string): Promise<UserIdentity>;
}

/** Feishu's 5xx-class OAuth codes (20050 server error, 20072 unavailable) and the platform rate limit. */
const RETRIABLE_CODES = new Set([20050, 20072, 99991400]);

export interface FeishuOAuthOptions {
  /** Open API base, e.g. https://open.feishu.cn or the emulator's URL. */
  domain: string;
  appId: string;
  appSecret: string;
  /** The bot's SDK client, used for user_info (made on first use: the SDK loads after the bot listens). */
  client: () => lark.Client;
  timeoutMs?: number;
}

export function feishuOAuthHttp(o: FeishuOAuthOptions): OAuthHttp {
  const timeoutMs = o.timeoutMs ?? 10_000;
  return {
    async token(request) {
      let res: Response;
      try {
        res = await fetch(new URL(TOKEN_PATH, o.domain), {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body: JSON.stringify({ ...request, client_id: o.appId, client_secret: o.appSecret }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (e) {
        return { ok: false, kind: 'unavailable', description: `token endpoint unreachable: ${(e as Error).name}` };
      }
      const logId = res.headers.get('x-tt-logid') ?? undefined;
      const body: unknown = await res.json().catch(() => undefined);
      const failure = tokenErrorSchema.safeParse(body);
      if (res.ok && failure.success && failure.data.code === 0) {
        const grant = tokenGrantSchema.safeParse(body);
        if (grant.success) return { ok: true, grant: grant.data };
        return {
          ok: false,
          kind: 'unavailable',
          description: 'token endpoint answered code 0 without a usable token',
          logId,
        };
      }
      if (!failure.success)
        return {
          ok: false,
          kind: 'unavailable',
          description: `token endpoint answered HTTP ${res.status} without a code`,
          logId,
        };
      const { code, error, error_description } = failure.data;
      const retriable = res.status >= 500 || res.status === 429 || RETRIABLE_CODES.has(code);
      return {
        ok: false,
        kind: retriable ? 'unavailable' : 'rejected',
        code,
        logId,
        description: [error, error_description].filter(Boolean).join(': ') || `code ${code}`,
      };
    },

    async userInfo(accessToken) {
      const res = await o.client().authen.v1.userInfo.get({}, larkSdk().withUserAccessToken(accessToken));
      if (res.code !== 0) throw new Error(`user_info answered code ${res.code ?? 'none'}`);
      return userIdentitySchema.parse(res.data);
    },
  };
}
