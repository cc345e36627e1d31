import { get, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as lark from '@larksuiteoapi/node-sdk';
import express from 'express';
import { describe, expect, it } from 'vitest';
import { callbackPage } from '../src/auth/callback-page.js';
import { CALLBACK_PATH, oauthCallbackRouter } from '../src/auth/callback-route.js';
import { authorizeBase, buildAuthorizeUrl, createPkce, SIGN_IN_SCOPES, SIGN_IN_TTL_MS } from '../src/auth/oauth.js';
import { loginUser } from '../src/emulator/testing.js';
import { silentLogger } from '../src/log.js';
import { authRig, consent, consentFrom, REDIRECT_URI, START_URI, tokenCalls } from './helpers/auth.js';
import { useEmulator } from './helpers/emulator.js';

const h = useEmulator();
const asker = () => h.emu.state.users[1]!;
const other = () => h.emu.state.users[2]!;
const request = () => ({
  openId: asker().open_id,
  chatId: 'oc_ops',
  resume: {
    command: 'draft',
    args: { to: 'a@b.cn', subject: 'Hi', body: ['body'] },
    text: '/draft to=a@b.cn subject=Hi body',
    messageId: 'om_1',
  },
});

describe('authorize URL', () => {
  it('uses the accounts host of Feishu and Lark, and FEISHU_DOMAIN itself otherwise', () => {
    expect(authorizeBase('https://open.feishu.cn')).toBe('https://accounts.feishu.cn');
    expect(authorizeBase('https://open.larksuite.com/')).toBe('https://accounts.larksuite.com');
    expect(authorizeBase('http://127.0.0.1:9000')).toBe('http://127.0.0.1:9000');
  });

  it('asks for offline_access and the mail scopes with an S256 challenge', () => {
    const pkce = createPkce();
    expect(pkce.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const url = new URL(
      buildAuthorizeUrl({
        domain: 'https://open.feishu.cn',
        appId: 'cli_x',
        redirectUri: REDIRECT_URI,
        state: 's'.repeat(20),
        codeChallenge: pkce.challenge,
      }),
    );
    expect(url.origin + url.pathname).toBe('https://accounts.feishu.cn/open-apis/authen/v1/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'cli_x',
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      state: 's'.repeat(20),
      scope: SIGN_IN_SCOPES.join(' '),
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
    });
    expect(SIGN_IN_SCOPES).toEqual(
      expect.arrayContaining(['offline_access', 'mail:user_mailbox.message:modify', 'mail:user_mailbox.message:send']),
    );
  });
});

describe('callback page', () => {
  it('escapes the user name', () => {
    const page = callbackPage({
      ok: true,
      request: request(),
      user: { open_id: 'ou_x', name: '<img src=x onerror=alert(1)>' },
    });
    expect(page.html).not.toContain('<img');
    expect(page.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it("is in the reader's language, from the browser's Accept-Language, else in the default language", async () => {
    const bot = express().use(
      oauthCallbackRouter({
        begin: async () => {
          throw new Error('not started here');
        },
        complete: async () => ({ ok: true, request: request(), user: { open_id: 'ou_x', name: '李娜' } }),
        record: async () => undefined,
        secure: false,
        logger: silentLogger,
      }),
    );
    const server = bot.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    // node:http sends only the headers given, so "no Accept-Language" is what the bot gets.
    const page = (headers: IncomingHttpHeaders) =>
      new Promise<string>((resolve, reject) => {
        get({ port, host: '127.0.0.1', path: `${CALLBACK_PATH}?state=${'A'.repeat(43)}&code=c`, headers }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve(body));
        }).on('error', reject);
      });
    try {
      const ja = await page({ 'accept-language': 'ja' });
      expect(ja).toContain('<html lang="ja-JP">');
      expect(ja).toContain('李娜 としてログインしました');
      expect(ja).not.toContain('Signed in');

      const en = await page({ 'accept-language': 'en-US,en;q=0.9' });
      expect(en).toContain('<html lang="en-US">');
      expect(en).toContain('Signed in as 李娜');
      expect(en).not.toContain('已登录');

      const none = await page({});
      expect(none).toContain('<html lang="zh-CN">');
      expect(none).toContain('已登录为 李娜');
      expect(none).not.toContain('Signed in');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('tells a refusal in one language: what went wrong and what to do', () => {
    const refused = {
      ok: false as const,
      kind: 'used_state' as const,
      httpStatus: 400,
      problem: {
        zh_cn: '此登录链接已使用过。',
        en_us: 'This sign-in link was already used.',
        ja_jp: 'このログインリンクはすでに使用されています。',
      },
    };
    const page = callbackPage(refused, 'ja-JP,ja;q=0.9,en;q=0.5');
    expect(page.status).toBe(400);
    expect(page.html).toContain('ログインは完了していません');
    expect(page.html).toContain('このログインリンクはすでに使用されています。');
    expect(page.html).not.toContain('already used');
    expect(page.html).not.toContain('已使用过');
  });
});

describe('sign-in through the emulator', () => {
  it('exchanges the code with its PKCE verifier, checks who consented, and stores the tokens', async () => {
    const rig = await authRig(h.emu);
    const started = await rig.signIn.start(request());
    expect(started.expiresAt).toBe(rig.clock.now + SIGN_IN_TTL_MS);
    // The card links to the bot's own start page, not to Feishu's.
    expect(started.url).toBe(`${START_URI}?t=${started.ticket}`);
    // The ticket holds the request (a mail's text, perhaps): sealed, not in clear.
    expect(await rig.store.get(`auth:signin-ticket:${started.ticket}`)).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    const begun = await rig.signIn.begin(started.ticket);
    if (!begun.ok) throw new Error(begun.kind);
    // The pending record holds the PKCE verifier: sealed, not in clear.
    expect(await rig.store.get(`auth:signin:${begun.state}`)).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(new URL(begun.authorizeUrl).searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    const query = await consent(begun.authorizeUrl, asker().open_id);
    const outcome = await rig.signIn.complete(query, { [begun.cookie.name]: begun.cookie.value });
    expect(outcome).toMatchObject({
      ok: true,
      request: request(),
      user: { open_id: asker().open_id, enterprise_email: asker().enterprise_email },
    });

    const [exchange, ...more] = await tokenCalls(h.emu, 'authorization_code');
    expect(more).toEqual([]);
    // The log redacts secrets: "[redacted]" shows a verifier was sent.
    expect(exchange?.body).toMatchObject({ code_verifier: '[redacted]', redirect_uri: REDIRECT_URI });
    expect(exchange?.status).toBe(200);

    expect(await rig.vault.status(asker().open_id)).toMatchObject({
      signedIn: true,
      name: asker().name,
      mailbox: asker().enterprise_email,
      scopes: [...SIGN_IN_SCOPES],
    });
    const page = callbackPage(outcome);
    expect(page.status).toBe(200);
    expect(page.html).toContain(`已登录为 ${asker().name}`);
    const token = await rig.vault.accessToken(asker().open_id);
    const info = await h.client.authen.v1.userInfo.get({}, lark.withUserAccessToken(token));
    expect(info.data?.open_id).toBe(asker().open_id);
  });

  it('refuses a forged state and a replayed one with 400, exchanging nothing more', async () => {
    const rig = await authRig(h.emu);
    const forged = await rig.signIn.complete({ state: 'A'.repeat(43), code: 'whatever' });
    expect(forged).toMatchObject({ ok: false, kind: 'unknown_state', httpStatus: 400 });
    expect(forged).not.toHaveProperty('request');
    expect(callbackPage(forged)).toMatchObject({ status: 400, html: expect.stringContaining('/login') });

    const { query, cookies } = await consentFrom(rig.signIn, (await rig.signIn.start(request())).url, asker().open_id);
    expect((await rig.signIn.complete(query, cookies)).ok).toBe(true);
    expect(await rig.signIn.complete(query, cookies)).toMatchObject({ ok: false, kind: 'used_state', httpStatus: 400 });
    expect(await tokenCalls(h.emu, 'authorization_code')).toHaveLength(1);
  });

  it('lets only one of two concurrent callbacks with the same state through', async () => {
    const rig = await authRig(h.emu);
    const { query, cookies } = await consentFrom(rig.signIn, (await rig.signIn.start(request())).url, asker().open_id);
    const outcomes = await Promise.all([rig.signIn.complete(query, cookies), rig.signIn.complete(query, cookies)]);
    expect(outcomes.map((o) => (o.ok ? 'ok' : o.kind)).sort()).toEqual(['ok', 'used_state']);
    expect(await tokenCalls(h.emu, 'authorization_code')).toHaveLength(1);
  });

  it('refuses a callback from another browser, and it neither uses nor cancels the sign-in', async () => {
    const rig = await authRig(h.emu);
    const started = await rig.signIn.start(request());
    const { query, cookies } = await consentFrom(rig.signIn, started.url, asker().open_id);
    // A bystander who saw the callback URL (or forged a refusal for its state) has no cookie for it.
    expect(await rig.signIn.complete({ state: query.state, error: 'access_denied' })).toMatchObject({
      ok: false,
      kind: 'wrong_browser',
      httpStatus: 403,
    });
    expect(await rig.signIn.complete(query)).toMatchObject({ ok: false, kind: 'wrong_browser' });
    // A cookie from the bystander's own start of the same link does not fit this state either.
    const theirs = await rig.signIn.begin(started.ticket);
    if (!theirs.ok) throw new Error(theirs.kind);
    expect(await rig.signIn.complete(query, { [theirs.cookie.name]: theirs.cookie.value })).toMatchObject({
      ok: false,
      kind: 'wrong_browser',
    });
    expect(await tokenCalls(h.emu, 'authorization_code')).toHaveLength(0);
    // The asker's browser still completes it.
    expect(await rig.signIn.complete(query, cookies)).toMatchObject({ ok: true, request: request() });
  });

  it('completes a card link once, however many browsers started it', async () => {
    const rig = await authRig(h.emu);
    const started = await rig.signIn.start(request());
    const first = await consentFrom(rig.signIn, started.url, asker().open_id);
    const second = await consentFrom(rig.signIn, started.url, asker().open_id);
    expect((await rig.signIn.complete(first.query, first.cookies)).ok).toBe(true);
    expect(await rig.signIn.complete(second.query, second.cookies)).toMatchObject({ ok: false, kind: 'used_state' });
    expect(await rig.signIn.begin(started.ticket)).toMatchObject({ ok: false, kind: 'used_state' });
  });

  it('refuses a state older than 10 minutes with 400 and exchanges nothing', async () => {
    const rig = await authRig(h.emu);
    const started = await rig.signIn.start(request());
    const { query, cookies } = await consentFrom(rig.signIn, started.url, asker().open_id);
    rig.clock.now += SIGN_IN_TTL_MS;
    expect(await rig.signIn.complete(query, cookies)).toMatchObject({
      ok: false,
      kind: 'expired_state',
      httpStatus: 400,
    });
    expect(await rig.signIn.begin(started.ticket)).toMatchObject({ ok: false, kind: 'expired_state' });
    expect(await tokenCalls(h.emu, 'authorization_code')).toHaveLength(0);
  });

  it('refuses a malformed callback and a start link without a ticket as bad requests', async () => {
    const rig = await authRig(h.emu);
    expect(await rig.signIn.complete({ code: 'c' })).toMatchObject({ ok: false, kind: 'bad_request', httpStatus: 400 });
    expect(await rig.signIn.complete({ state: 'A'.repeat(43) })).toMatchObject({ ok: false, kind: 'bad_request' });
    expect(await rig.signIn.begin(undefined)).toMatchObject({ ok: false, kind: 'bad_request' });
    expect(await rig.signIn.begin('B'.repeat(43))).toMatchObject({ ok: false, kind: 'unknown_state' });
  });

  it('drops the tokens when someone other than the asker consents', async () => {
    const rig = await authRig(h.emu);
    const { query, cookies } = await consentFrom(rig.signIn, (await rig.signIn.start(request())).url, other().open_id);
    const outcome = await rig.signIn.complete(query, cookies);
    expect(outcome).toMatchObject({ ok: false, kind: 'wrong_user', httpStatus: 403, request: request() });
    expect(await rig.vault.status(asker().open_id)).toEqual({ signedIn: false });
    expect(await rig.vault.status(other().open_id)).toEqual({ signedIn: false });
  });

  it('consumes the state of a declined consent, says who asked, and leaves the card link usable', async () => {
    const rig = await authRig(h.emu);
    const started = await rig.signIn.start(request());
    const { query, cookies } = await consentFrom(rig.signIn, started.url, asker().open_id, true);
    expect(await rig.signIn.complete(query, cookies)).toMatchObject({ ok: false, kind: 'denied', request: request() });
    expect(await rig.signIn.complete(query, cookies)).toMatchObject({ ok: false, kind: 'used_state' });
    expect(await tokenCalls(h.emu, 'authorization_code')).toHaveLength(0);
    const again = await consentFrom(rig.signIn, started.url, asker().open_id);
    expect((await rig.signIn.complete(again.query, again.cookies)).ok).toBe(true);
  });

  it('reports a code the token endpoint rejects as a failed exchange', async () => {
    const rig = await authRig(h.emu);
    const { query, cookies } = await consentFrom(rig.signIn, (await rig.signIn.start(request())).url, asker().open_id);
    const outcome = await rig.signIn.complete({ ...query, code: 'not-the-code' }, cookies);
    expect(outcome).toMatchObject({ ok: false, kind: 'exchange_failed', httpStatus: 502, request: request() });
    expect(outcome.ok ? '' : outcome.detail).toContain('20003');
  });
});

describe('the emulator token endpoint with PKCE', () => {
  it('refuses a code whose verifier does not match its challenge (20049), and a missing verifier', async () => {
    const rig = await authRig(h.emu);
    const pkce = createPkce();
    const code = async () => {
      const url = buildAuthorizeUrl({
        domain: h.emu.url,
        appId: h.emu.state.app.appId,
        redirectUri: REDIRECT_URI,
        state: 'x'.repeat(20),
        codeChallenge: pkce.challenge,
      });
      return (await consent(url, asker().open_id)).code!;
    };
    const exchange = async (verifier: string) =>
      rig.http.token({
        grant_type: 'authorization_code',
        code: await code(),
        redirect_uri: REDIRECT_URI,
        code_verifier: verifier,
      });
    expect(await exchange(createPkce().verifier)).toMatchObject({ ok: false, kind: 'rejected', code: 20049 });
    expect(await exchange('')).toMatchObject({ ok: false, kind: 'rejected', code: 20049 });
    expect(await exchange(pkce.verifier)).toMatchObject({ ok: true });
  });

  it('answers user_info for the token owner only', async () => {
    const rig = await authRig(h.emu);
    const { access_token } = await loginUser(h.emu, other().open_id);
    expect(await rig.http.userInfo(access_token)).toMatchObject({ open_id: other().open_id, name: other().name });
    await expect(rig.http.userInfo('u-forged')).rejects.toThrow();
  });
});
