import * as lark from '@larksuiteoapi/node-sdk';
import { describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { loginUser, sdkClient } from '../src/emulator/testing.js';
import { control, rejection, useEmulator } from './helpers/emulator.js';

// A fresh token cache per test: tests move the emulator clock past token expiries.
const h = useEmulator({ clientPerTest: true });

const advance = (advanceSeconds: number) => control(h.emu, 'time', { advanceSeconds });

const tokenCall = (data: Record<string, unknown>) =>
  h.client.request({ method: 'POST', url: '/open-apis/authen/v2/oauth/token', data });

const user = () => h.emu.state.users[1]!;

/** With the token cache off the SDK sends exactly the token given by lark.withTenantToken (or none). */
const explicitToken = () =>
  new lark.Client({
    appId: h.emu.state.app.appId,
    appSecret: h.emu.state.app.appSecret,
    domain: h.emu.url,
    disableTokenCache: true,
    logger: quiet,
  });
const quiet = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  trace: () => undefined,
};

async function authorize(query: Record<string, string>): Promise<URL> {
  const url = new URL('/open-apis/authen/v1/authorize', h.emu.url);
  url.search = new URLSearchParams({
    client_id: h.emu.state.app.appId,
    redirect_uri: 'http://127.0.0.1/cb',
    ...query,
  }).toString();
  const res = await fetch(url, { redirect: 'manual' });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location')!);
}

const exchange = (code: string, extra: Record<string, unknown> = {}) =>
  tokenCall({
    grant_type: 'authorization_code',
    client_id: h.emu.state.app.appId,
    client_secret: h.emu.state.app.appSecret,
    code,
    ...extra,
  });

describe('tenant access token', () => {
  it('is fetched by the SDK once and reused for later calls', async () => {
    const fresh = sdkClient(h.emu);
    await fresh.contact.v3.user.get({ path: { user_id: user().open_id } });
    await fresh.contact.v3.user.get({ path: { user_id: user().open_id } });
    const tokenCalls = h.emu.kit.calls.filter((c) => c.path === '/open-apis/auth/v3/tenant_access_token/internal');
    expect(tokenCalls).toHaveLength(1);
    expect(h.emu.kit.calls.filter((c) => c.path.startsWith('/open-apis/contact/')).map((c) => c.caller)).toEqual([
      `app:${h.emu.state.app.appId}`,
      `app:${h.emu.state.app.appId}`,
    ]);
  });

  it('returns the same token while 30 minutes remain and a new one after, both valid', async () => {
    const get = async () => {
      const res = await fetch(`${h.emu.url}/open-apis/auth/v3/tenant_access_token/internal`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ app_id: h.emu.state.app.appId, app_secret: h.emu.state.app.appSecret }),
      });
      return (await res.json()) as { code: number; tenant_access_token: string; expire: number };
    };
    const first = await get();
    expect(first).toMatchObject({ code: 0, msg: 'ok', expire: 7200 });
    expect(first.tenant_access_token).toMatch(/^t-/);
    expect((await get()).tenant_access_token).toBe(first.tenant_access_token);
    await advance(6000);
    const second = await get();
    expect(second.tenant_access_token).not.toBe(first.tenant_access_token);
    expect(second.expire).toBe(7200);
    for (const t of [first.tenant_access_token, second.tenant_access_token]) {
      const res = await explicitToken().contact.v3.user.get(
        { path: { user_id: user().open_id } },
        lark.withTenantToken(t),
      );
      expect(res.code).toBe(0);
    }
  });

  it('rejects a wrong app secret with 10014 and an unknown app_id with 10003', async () => {
    const post = (body: unknown) =>
      fetch(`${h.emu.url}/open-apis/auth/v3/tenant_access_token/internal`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { code: number } }));
    expect(await post({ app_id: h.emu.state.app.appId, app_secret: 'nope' })).toMatchObject({
      status: 400,
      body: { code: 10014 },
    });
    expect(await post({ app_id: 'cli_0000000000000000', app_secret: 'x' })).toMatchObject({
      status: 400,
      body: { code: 10003 },
    });
    expect(await post({})).toMatchObject({ status: 400, body: { code: 10003 } });
  });

  it('answers a missing token with 99991661 and a forged one with 99991663', async () => {
    const bare = await fetch(`${h.emu.url}/open-apis/contact/v3/users/${user().open_id}`);
    expect(bare.status).toBe(400);
    const body = (await bare.json()) as { code: number; msg: string; error: { log_id: string } };
    expect(body.code).toBe(99991661);
    expect(body.error.log_id).toBe(bare.headers.get('x-tt-logid'));
    const forged = await rejection(
      explicitToken().contact.v3.user.get(
        { path: { user_id: user().open_id } },
        lark.withTenantToken(`t-${'0'.repeat(42)}`),
      ),
    );
    expect(forged).toMatchObject({ status: 400, data: { code: 99991663 } });
    const odd = await rejection(
      explicitToken().contact.v3.user.get({ path: { user_id: user().open_id } }, lark.withTenantToken('x-123')),
    );
    expect(odd.data.code).toBe(99991671);
  });

  it('rejects an expired tenant token, which the SDK keeps using from its cache, with 99991663', async () => {
    const c = sdkClient(h.emu);
    await c.contact.v3.user.get({ path: { user_id: user().open_id } });
    await advance(7201);
    const res = await rejection(c.contact.v3.user.get({ path: { user_id: user().open_id } }));
    expect(res).toMatchObject({ status: 400, data: { code: 99991663 } });
  });

  it('accepts a token cached by the SDK from an earlier emulator with the same credentials', async () => {
    const appId = 'cli_0123456789abcdef';
    const first = await startEmulator({ appId });
    const globalCache = (e: Emulator) =>
      new lark.Client({ appId, appSecret: e.state.app.appSecret, domain: e.url, loggerLevel: lark.LoggerLevel.error });
    await globalCache(first).contact.v3.user.get({ path: { user_id: user().open_id } });
    await first.close();
    const second = await startEmulator({ appId });
    try {
      const res = await globalCache(second).contact.v3.user.get({ path: { user_id: user().open_id } });
      expect(res.code).toBe(0);
      expect(second.kit.calls.map((c) => c.path)).not.toContain('/open-apis/auth/v3/tenant_access_token/internal');
    } finally {
      await second.close();
    }
  });
});

describe('OAuth user access token', () => {
  it('auto-consents, redirects with code and state, and the code buys a user token for that user', async () => {
    const target = await authorize({ state: 'xyz', scope: 'offline_access', emulator_user: user().email });
    expect(target.origin + target.pathname).toBe('http://127.0.0.1/cb');
    expect(target.searchParams.get('state')).toBe('xyz');
    const code = target.searchParams.get('code')!;
    expect(code).toMatch(/^[A-Za-z0-9_-]{64,}$/);
    const tokens = (await exchange(code, { redirect_uri: 'http://127.0.0.1/cb' })) as Record<string, unknown>;
    expect(tokens).toMatchObject({
      code: 0,
      expires_in: 7200,
      refresh_token_expires_in: 604800,
      token_type: 'Bearer',
      scope: 'offline_access',
    });
    const info = await h.client.authen.v1.userInfo.get({}, lark.withUserAccessToken(tokens.access_token as string));
    expect(info.data).toMatchObject({
      open_id: user().open_id,
      name: user().name,
      en_name: user().en_name,
      enterprise_email: user().enterprise_email,
    });
  });

  it('consents as the first seeded user by default and omits the refresh token without offline_access', async () => {
    const code = (await authorize({})).searchParams.get('code')!;
    const tokens = (await exchange(code)) as Record<string, unknown>;
    expect(tokens.refresh_token).toBeUndefined();
    const info = await h.client.authen.v1.userInfo.get({}, lark.withUserAccessToken(tokens.access_token as string));
    expect(info.data?.open_id).toBe(h.emu.state.users[0]!.open_id);
  });

  it('redirects with error=access_denied when the user refuses', async () => {
    const target = await authorize({ state: 's1', emulator_deny: '1' });
    expect(target.searchParams.get('error')).toBe('access_denied');
    expect(target.searchParams.get('code')).toBeNull();
  });

  it('accepts a code only once and only within 5 minutes', async () => {
    const code = (await authorize({})).searchParams.get('code')!;
    await exchange(code);
    expect(await rejection(exchange(code))).toMatchObject({
      status: 400,
      data: { code: 20065, error: 'invalid_grant' },
    });
    const late = (await authorize({})).searchParams.get('code')!;
    await advance(301);
    expect((await rejection(exchange(late))).data.code).toBe(20004);
    expect((await rejection(exchange('no-such-code'))).data.code).toBe(20003);
  });

  it('rejects a bad secret, a missing parameter, another redirect_uri and an unknown grant type', async () => {
    const code = (await authorize({})).searchParams.get('code')!;
    expect((await rejection(exchange(code, { client_secret: 'wrong' }))).data).toMatchObject({
      code: 20002,
      error: 'invalid_client',
    });
    expect((await rejection(tokenCall({ grant_type: 'authorization_code' }))).data.code).toBe(20001);
    expect((await rejection(exchange(code, { redirect_uri: 'http://127.0.0.1/other' }))).data.code).toBe(20071);
    expect((await rejection(exchange(code, { grant_type: 'password' }))).data.code).toBe(20036);
    expect((await rejection(exchange(code, { scope: 'mail:user_mailbox' }))).data.code).toBe(20067);
  });

  it('checks the PKCE verifier (S256)', async () => {
    const verifier = 'v'.repeat(50);
    const { createHash } = await import('node:crypto');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const code = (await authorize({ code_challenge: challenge, code_challenge_method: 'S256' })).searchParams.get(
      'code',
    )!;
    expect((await rejection(exchange(code, { code_verifier: 'w'.repeat(50) }))).data.code).toBe(20049);
    const code2 = (await authorize({ code_challenge: challenge, code_challenge_method: 'S256' })).searchParams.get(
      'code',
    )!;
    expect(await exchange(code2, { code_verifier: verifier })).toMatchObject({ code: 0 });
  });

  it('uses a refresh token once; the old access token works for one more minute', async () => {
    const first = await loginUser(h.emu, user().open_id);
    const refreshed = (await tokenCall({
      grant_type: 'refresh_token',
      client_id: h.emu.state.app.appId,
      client_secret: h.emu.state.app.appSecret,
      refresh_token: first.refresh_token,
    })) as Record<string, unknown>;
    expect(refreshed.code).toBe(0);
    expect(refreshed.refresh_token).not.toBe(first.refresh_token);
    const again = await rejection(
      tokenCall({
        grant_type: 'refresh_token',
        client_id: h.emu.state.app.appId,
        client_secret: h.emu.state.app.appSecret,
        refresh_token: first.refresh_token,
      }),
    );
    expect(again.data).toMatchObject({ code: 20073, error: 'invalid_grant' });
    const info = () => h.client.authen.v1.userInfo.get({}, lark.withUserAccessToken(first.access_token));
    expect((await info()).code).toBe(0);
    await advance(61);
    expect(await rejection(info())).toMatchObject({ status: 400, data: { code: 99991677 } });
    const fresh = await h.client.authen.v1.userInfo.get({}, lark.withUserAccessToken(refreshed.access_token as string));
    expect(fresh.data?.open_id).toBe(user().open_id);
  });

  it('expires a user token after 2 hours with 99991677', async () => {
    const { access_token } = await loginUser(h.emu, user().open_id);
    await advance(7201);
    const res = await rejection(h.client.authen.v1.userInfo.get({}, lark.withUserAccessToken(access_token)));
    expect(res.data.code).toBe(99991677);
  });

  it('refuses tenant tokens on user-only endpoints (99991668) and user tokens on tenant-only ones (99991663)', async () => {
    expect(await rejection(h.client.authen.v1.userInfo.get({}))).toMatchObject({
      status: 400,
      data: { code: 99991668 },
    });
    expect(
      (await rejection(h.client.authen.v1.userInfo.get({}, lark.withUserAccessToken('u-unknown')))).data.code,
    ).toBe(99991668);
    const { access_token } = await loginUser(h.emu, user().open_id);
    const asUser = await rejection(
      h.client.im.v1.chat.create({ data: { name: 'x' } }, lark.withUserAccessToken(access_token)),
    );
    expect(asUser.data.code).toBe(99991663);
    // tenant_or_user endpoints take both
    const contact = await h.client.contact.v3.user.get(
      { path: { user_id: user().open_id } },
      lark.withUserAccessToken(access_token),
    );
    expect(contact.data?.user?.open_id).toBe(user().open_id);
  });
});

describe('bot info', () => {
  it('describes the bot at the top level of the body', async () => {
    const res = (await h.client.request({ method: 'GET', url: '/open-apis/bot/v3/info' })) as Record<string, unknown>;
    expect(res).toMatchObject({
      code: 0,
      bot: { activate_status: 2, app_name: '运维助手 Ops Bot', open_id: h.emu.state.app.botOpenId, ip_white_list: [] },
    });
  });
});
