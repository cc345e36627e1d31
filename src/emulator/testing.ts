/**
 * Helpers for tests and benchmarks that drive the emulator the way the bot does: the official SDK Client
 * and the real OAuth redirect flow over HTTP.
 */
import * as lark from '@larksuiteoapi/node-sdk';
import type { Emulator } from './index.js';
import { USER_SCOPES } from './state.js';

const quiet = (): void => undefined;

/** Each client gets its own token cache so emulators started with the same appId never share tokens. */
export function sdkClient(emu: Pick<Emulator, 'url' | 'state'>): lark.Client {
  const store = new Map<string, { value: unknown; expireAt: number }>();
  const ns = (key: string | symbol, o?: { namespace?: string }) => `${o?.namespace ?? ''}:${String(key)}`;
  return new lark.Client({
    appId: emu.state.app.appId,
    appSecret: emu.state.app.appSecret,
    domain: emu.url,
    loggerLevel: lark.LoggerLevel.error,
    // Expected error responses are the point of many tests; the SDK would print each one.
    logger: { error: quiet, warn: quiet, info: quiet, debug: quiet, trace: quiet },
    cache: {
      set: async (key, value, expireAt, o) => {
        store.set(ns(key as symbol, o), { value, expireAt: expireAt ?? Infinity });
        return true;
      },
      get: async (key, o) => {
        const hit = store.get(ns(key as symbol, o));
        return hit && hit.expireAt > Date.now() ? hit.value : undefined;
      },
    },
  });
}

export interface UserTokens {
  access_token: string;
  refresh_token?: string;
  expires_in: number;
  scope: string;
}

/**
 * Logs a seeded user in through the authorize page (auto-consent) and the v2 token endpoint.
 * `user` is an open_id or email; `scope` defaults to offline_access (so a refresh token comes back) and every
 * user scope the emulator checks.
 */
export async function loginUser(
  emu: Pick<Emulator, 'url' | 'state'>,
  user: string,
  scope = ['offline_access', ...USER_SCOPES].join(' '),
): Promise<UserTokens> {
  const redirect = 'http://127.0.0.1/callback';
  const authorize = new URL('/open-apis/authen/v1/authorize', emu.url);
  authorize.search = new URLSearchParams({
    client_id: emu.state.app.appId,
    redirect_uri: redirect,
    response_type: 'code',
    state: 'login',
    scope,
    emulator_user: user,
  }).toString();
  const res = await fetch(authorize, { redirect: 'manual' });
  const location = res.headers.get('location');
  const code = location ? new URL(location).searchParams.get('code') : null;
  if (!code) throw new Error(`authorize did not redirect with a code (HTTP ${res.status}): ${await res.text()}`);
  const token = await fetch(new URL('/open-apis/authen/v2/oauth/token', emu.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      grant_type: 'authorization_code',
      client_id: emu.state.app.appId,
      client_secret: emu.state.app.appSecret,
      code,
      redirect_uri: redirect,
    }),
  });
  const body = (await token.json()) as UserTokens & { code: number };
  if (body.code !== 0) throw new Error(`token exchange failed: ${JSON.stringify(body)}`);
  return body;
}
