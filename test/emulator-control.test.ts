import { describe, expect, it } from 'vitest';
import { DOC_CODES } from '../src/emulator/codes.js';
import type { CallRecord } from '../src/emulator/kit.js';
import { emulatorRequest, rejection, useEmulator } from './helpers/emulator.js';

const h = useEmulator({ clientPerTest: true });

const send = (method: string, path: string, body?: unknown) => emulatorRequest(h.emu, method, path, body);

const someone = () => h.emu.state.users[0]!;
const getUser = (c = h.client) => c.contact.v3.user.get({ path: { user_id: someone().open_id } });

describe('call log', () => {
  it('records method, path, query, body, caller, status and code, filterable by path and since', async () => {
    await h.client.im.v1.chat.create({ params: { user_id_type: 'open_id' }, data: { name: '日志 Log' } });
    await rejection(h.client.im.v1.chat.create({ data: { chat_type: 'public', name: 'x' } }));
    const { body } = await send('GET', '/_emulator/calls?path=/open-apis/im/');
    const calls = body.calls as CallRecord[];
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({
      method: 'POST',
      path: '/open-apis/im/v1/chats',
      query: { user_id_type: 'open_id' },
      body: { name: '日志 Log' },
      caller: `app:${h.emu.state.app.appId}`,
      status: 200,
      code: 0,
      fault: false,
    });
    expect(calls[1]).toMatchObject({ status: 400, code: 232020 });
    const later = await send('GET', `/_emulator/calls?since=${calls[0]!.seq}`);
    expect((later.body.calls as CallRecord[]).map((c) => c.seq)).toEqual([calls[1]!.seq]);
  });

  it('records each answer as sent, with tokens redacted', async () => {
    const chat = await h.client.im.v1.chat.create({ data: { name: '应答 Answer' } });
    await rejection(h.client.im.v1.chat.create({ data: { chat_type: 'public', name: 'x' } }));
    const calls = (await send('GET', '/_emulator/calls')).body.calls as CallRecord[];
    const [token, created, refused] = calls;
    expect(token?.path).toBe('/open-apis/auth/v3/tenant_access_token/internal');
    expect(token?.answer).toMatchObject({ code: 0, tenant_access_token: '[redacted]' });
    expect(JSON.stringify(calls)).not.toMatch(/"t-[^"]+"/);
    expect(created?.answer).toMatchObject({ code: 0, data: { chat_id: chat.data?.chat_id } });
    expect(refused?.answer).toMatchObject({ code: 232020 });
  });
});

describe('state and reset', () => {
  it('shows chats and messages but not the app secret, and reset clears them with the call log', async () => {
    const chat = await h.client.im.v1.chat.create({ data: { name: '状态 State' } });
    await h.client.im.v1.message.create({
      params: { receive_id_type: 'chat_id' },
      data: { receive_id: chat.data!.chat_id!, msg_type: 'text', content: '{"text":"x"}' },
    });
    const { body } = await send('GET', '/_emulator/state');
    expect((body.chats as unknown[]).length).toBe(1);
    expect((body.messages as unknown[]).length).toBe(1);
    expect(JSON.stringify(body)).not.toContain(h.emu.state.app.appSecret);
    await send('POST', '/_emulator/reset');
    const after = await send('GET', '/_emulator/state');
    expect(after.body.chats).toEqual([]);
    expect((await send('GET', '/_emulator/calls')).body.calls).toEqual([]);
  });
});

describe('fault injection', () => {
  it('forces a code for the next N calls, then lets calls through', async () => {
    await getUser(); // token cached before the fault
    await send('POST', '/_emulator/faults', { code: 99991400, count: 2 });
    expect(await rejection(getUser())).toMatchObject({
      status: 429,
      code: 99991400,
      msg: 'request trigger frequency limit',
    });
    expect((await rejection(getUser())).code).toBe(99991400);
    expect((await getUser()).code).toBe(0);
    expect((await send('GET', '/_emulator/state')).body.faults).toEqual([]);
  });

  it('gives every documented code its documented status and message, per page', async () => {
    await getUser();
    for (const doc of DOC_CODES) {
      await send('POST', '/_emulator/faults', { code: doc.code, page: doc.page, count: 1 });
      const res = await rejection(getUser());
      expect([res.code, res.status, res.msg]).toEqual([doc.code, doc.httpStatus, doc.msg]);
    }
    expect(DOC_CODES).toHaveLength(66);
  });

  it('applies only under pathPrefix, never with errorRate 0, and until cleared without count', async () => {
    await getUser();
    await send('POST', '/_emulator/faults', { pathPrefix: '/open-apis/im/', code: 230020 });
    expect((await getUser()).code).toBe(0);
    expect((await rejection(h.client.im.v1.chat.create({ data: {} }))).code).toBe(230020);
    expect((await rejection(h.client.im.v1.chat.create({ data: {} }))).code).toBe(230020);
    await send('DELETE', '/_emulator/faults');
    expect((await h.client.im.v1.chat.create({ data: {} })).code).toBe(0);
    await send('POST', '/_emulator/faults', { code: 230020, errorRate: 0 });
    for (let i = 0; i < 5; i++) expect((await getUser()).code).toBe(0);
  });

  it('delays answers by latencyMs', async () => {
    await getUser();
    await send('POST', '/_emulator/faults', { latencyMs: 150, count: 1 });
    const started = Date.now();
    expect((await getUser()).code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('drops the connection without an answer', async () => {
    await getUser();
    await send('POST', '/_emulator/faults', { drop: true, count: 1 });
    const err = (await getUser().then(
      () => undefined,
      (e: unknown) => e,
    )) as { response?: unknown; code?: string } | undefined;
    expect(err).toBeDefined();
    expect(err!.response).toBeUndefined();
    expect(err!.code).toBe('ECONNRESET');
    expect((await getUser()).code).toBe(0);
  });

  it('performs the call before latencyAfterMs and dropAfter, but only after latencyMs', async () => {
    const groups = () => [
      ...(h.emu.state.snapshot() as { mail: { mailgroups: { email: string }[] } }).mail.mailgroups.map((g) => g.email),
    ];
    const create = (email: string) =>
      h.client.mail.v1.mailgroup.create({ data: { email: `${email}@feishu-ops.example` } });
    await getUser();
    await send('POST', '/_emulator/faults', { pathPrefix: '/open-apis/mail/', latencyMs: 300, count: 1 });
    const before = create('before');
    await new Promise((r) => setTimeout(r, 100));
    expect(groups()).toEqual([]);
    expect((await before).code).toBe(0);
    await send('POST', '/_emulator/faults', { pathPrefix: '/open-apis/mail/', latencyAfterMs: 300, count: 1 });
    const after = create('after');
    await new Promise((r) => setTimeout(r, 100));
    expect(groups()).toEqual(['before@feishu-ops.example', 'after@feishu-ops.example']);
    expect((await after).code).toBe(0);
    await send('POST', '/_emulator/faults', { pathPrefix: '/open-apis/mail/', dropAfter: true, count: 1 });
    const lost = (await create('lost').then(
      () => undefined,
      (e: unknown) => e,
    )) as { response?: unknown; code?: string } | undefined;
    expect(lost?.response).toBeUndefined();
    expect(lost?.code).toBe('ECONNRESET');
    expect(groups()).toContain('lost@feishu-ops.example');
  });

  it('rejects a fault with an unknown code or nothing to do, saying why', async () => {
    const unknown = await send('POST', '/_emulator/faults', { code: 123 });
    expect(unknown.status).toBe(400);
    expect(String(unknown.body.error)).toContain('codes.ts');
    const empty = await send('POST', '/_emulator/faults', { count: 1 });
    expect(String(empty.body.error)).toContain('set at least one of code, latencyMs, drop');
    const never = await send('POST', '/_emulator/faults', { code: 20050, dropAfter: true });
    expect(never.status).toBe(400);
    expect(String(never.body.error)).toContain('latencyAfterMs and dropAfter would never apply');
  });
});

describe('time', () => {
  it('changes the scale and advances the clock', async () => {
    const before = h.emu.state.clock.now();
    const res = await send('POST', '/_emulator/time', { scale: 60, advanceSeconds: 3600 });
    expect(res.body.scale).toBe(60);
    expect(res.body.now as number).toBeGreaterThanOrEqual(before + 3600_000);
    expect((await send('POST', '/_emulator/time', { scale: -1 })).status).toBe(400);
  });

  it('runs token expiry on the scaled clock', async () => {
    await send('POST', '/_emulator/time', { scale: 7200 * 20 }); // 2 h of emulator time every 50 ms
    await getUser();
    await new Promise((r) => setTimeout(r, 100));
    expect((await rejection(getUser())).code).toBe(99991663);
  });
});

describe('rate limits', () => {
  it('lets the documented 50 calls a second through and answers the 51st with 429 and the ratelimit headers', async () => {
    await getUser();
    await send('POST', '/_emulator/time', { scale: 0.0001 }); // the burst lands inside one emulator second
    await send('POST', '/_emulator/time', { advanceSeconds: 2 }); // leave the token call's window behind
    for (let i = 0; i < 50; i++) expect((await getUser()).code).toBe(0);
    const over = await rejection(getUser());
    expect(over).toMatchObject({ status: 429, code: 99991400, msg: 'request trigger frequency limit' });
    expect(over.headers['x-ogw-ratelimit-limit']).toBe('50');
    expect(over.headers['x-ogw-ratelimit-reset']).toBe('1');
    await send('POST', '/_emulator/time', { advanceSeconds: 1 });
    expect((await getUser()).code).toBe(0);
  });

  it('applies a lowered per-minute limit set through the control API', async () => {
    await getUser();
    await send('POST', '/_emulator/time', { scale: 0.0001, advanceSeconds: 61 }); // the warm-up call leaves the minute window
    const set = await send('POST', '/_emulator/limits', {
      route: 'GET /open-apis/contact/v3/users/:user_id',
      perMinute: 3,
    });
    expect((set.body.limits as Record<string, unknown>)['GET /open-apis/contact/v3/users/:user_id']).toMatchObject({
      perMinute: 3,
      perSecond: 50,
    });
    for (let i = 0; i < 3; i++) await getUser();
    const over = await rejection(getUser());
    expect(over.status).toBe(429);
    expect(over.headers['x-ogw-ratelimit-limit']).toBe('3');
    await send('POST', '/_emulator/time', { advanceSeconds: 30 });
    expect((await rejection(getUser())).code).toBe(99991400);
    await send('POST', '/_emulator/time', { advanceSeconds: 31 });
    expect((await getUser()).code).toBe(0);
    expect((await send('POST', '/_emulator/limits', { route: 'GET /open-apis/nothing', perSecond: 1 })).status).toBe(
      400,
    );
  });
});

describe('protocol edges', () => {
  it('answers unknown paths with 404 / 99991201 and malformed JSON with 99992402', async () => {
    const missing = await send('GET', '/open-apis/nothing/v1/here');
    expect(missing).toMatchObject({ status: 404, body: { code: 99991201 } });
    const res = await fetch(`${h.emu.url}/open-apis/auth/v3/tenant_access_token/internal`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"app_id":',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: number }).code).toBe(99992402);
    expect(res.headers.get('x-tt-logid')).toMatch(/^\d{14}/);
  });
});
