import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  cardAction,
  eventPush,
  legacyCardAction,
  legacyCardPush,
  messageEvent,
  urlVerification,
  type Push,
} from './helpers/feishu-push.js';
import { signPush } from '../src/emulator/push.js';
import {
  ENCRYPT_KEY,
  eventually,
  fakeClock,
  RecordingHandler,
  startBot,
  VERIFICATION_TOKEN,
  type Clock,
  type RunningBot,
} from './helpers/intake-harness.js';

let dir: string;
let clock: Clock;
let handler: RecordingHandler;
let bot: RunningBot;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'receiver-'));
  clock = fakeClock();
  handler = new RecordingHandler();
  bot = await startBot({
    dir,
    handler,
    clock,
    app: { receiver: { replayWindowSeconds: 300, bodyLimitBytes: 4096, legacyCardCallbacks: true } },
  });
});

afterEach(async () => {
  await bot.stop();
  rmSync(dir, { recursive: true, force: true });
});

const signed = (envelope: object) => eventPush(envelope, { encryptKey: ENCRYPT_KEY, now: clock.now() });
const signedRaw = (body: string) => signPush(body, ENCRYPT_KEY, clock.now());
const message = (n: number) =>
  messageEvent({ token: VERIFICATION_TOKEN, eventId: `ev_${n}`, messageId: `om_${n}`, text: '/help' });

describe('webhook receiver: rejections', () => {
  const good = () => signed(message(1));
  const cases: [string, () => Push, number, string][] = [
    [
      'malformed JSON',
      () => ({ body: '{"encrypt": "abc"', headers: { 'content-type': 'application/json' } }),
      400,
      'bad_json',
    ],
    [
      'malformed ciphertext',
      () => eventPush({ encrypt: 'AAAA' }, { signOnlyKey: ENCRYPT_KEY, now: clock.now() }),
      400,
      'bad_ciphertext',
    ],
    [
      'a missing signature',
      () => ({ body: good().body, headers: { 'content-type': 'application/json' } }),
      401,
      'missing_signature',
    ],
    [
      'a forged signature',
      () => ({ ...good(), headers: { ...good().headers, 'x-lark-signature': '0'.repeat(64) } }),
      401,
      'bad_signature',
    ],
    [
      'a replayed timestamp',
      () => eventPush(message(1), { encryptKey: ENCRYPT_KEY, now: clock.now() - 301_000 }),
      401,
      'stale_timestamp',
    ],
    [
      'a wrong verification token',
      () => signed(messageEvent({ token: 'guessed', eventId: 'e', messageId: 'm' })),
      403,
      'bad_token',
    ],
    ['an oversized body', () => signed({ ...message(1), padding: 'x'.repeat(5000) }), 413, 'body_too_large'],
    [
      'a compressed body',
      () => ({ ...good(), headers: { ...good().headers, 'content-encoding': 'gzip' } }),
      415,
      'unsupported_encoding',
    ],
    [
      'a push nested 1,000 deep',
      () =>
        signedRaw(
          `{"schema":"2.0","header":{"event_id":"e","event_type":"x"},"event":{"a":${'['.repeat(1000)}${']'.repeat(1000)}}}`,
        ),
      400,
      'too_deep',
    ],
    [
      'a legacy card callback on the event route',
      () =>
        legacyCardPush(legacyCardAction({ updateToken: 'c-1', value: {} }), {
          verificationToken: VERIFICATION_TOKEN,
          now: clock.now(),
        }),
      400,
      'wrong_endpoint',
    ],
  ];

  it.each(cases)('rejects %s without running a handler', async (_what, make, status, reason) => {
    const res = await bot.post('/webhook/event', make());
    expect(res.status).toBe(status);
    expect(await res.json()).toMatchObject({ error: reason });
    expect(await bot.store.pendingCount()).toBe(0);
    expect(handler.events).toEqual([]);
    expect(await bot.metrics.eventsRejected.get()).toMatchObject({ values: [{ labels: { reason }, value: 1 }] });
    const line = bot.logs.find((l) => l.includes('push rejected'));
    expect(line).toContain(`"reason":"${reason}"`);
    expect(bot.logs.join('\n')).not.toMatch(new RegExp(`${ENCRYPT_KEY}|${VERIFICATION_TOKEN}`));
  });

  it('rejects a forged legacy card callback without calling the card handler', async () => {
    const res = await bot.post(
      '/webhook/card',
      legacyCardPush(legacyCardAction({ updateToken: 'c-1', value: {} }), {
        verificationToken: 'guess',
        now: clock.now(),
      }),
    );
    expect(res.status).toBe(401);
    expect(handler.cards).toEqual([]);
  });
});

describe('webhook receiver: url_verification', () => {
  it('answers a plain challenge with exactly {"challenge": …}', async () => {
    const res = await bot.post('/webhook/event', eventPush(urlVerification(VERIFICATION_TOKEN, 'ajls384kdjx')));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.text()).toBe('{"challenge":"ajls384kdjx"}');
  });

  it('answers an encrypted challenge in plaintext, on the card route too', async () => {
    for (const path of ['/webhook/event', '/webhook/card']) {
      const { body } = eventPush(urlVerification(VERIFICATION_TOKEN, `c-${path.length}`), { encryptKey: ENCRYPT_KEY });
      const res = await bot.post(path, { body, headers: { 'content-type': 'application/json; charset=utf-8' } });
      expect(await res.text()).toBe(`{"challenge":"c-${path.length}"}`);
    }
    expect(await bot.store.pendingCount()).toBe(0);
  });

  it('refuses a challenge carrying the wrong token', async () => {
    const res = await bot.post('/webhook/event', eventPush(urlVerification('wrong-token')));
    expect(res.status).toBe(403);
  });
});

describe('webhook receiver: events', () => {
  it('acknowledges an event with {"msg":"success"} and hands it to the handler once', async () => {
    const res = await bot.post('/webhook/event', signed(message(1)));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ msg: 'success' });
    await eventually(() => expect(handler.events).toHaveLength(1));
    expect(handler.events[0]).toMatchObject({
      kind: 'event',
      type: 'im.message.receive_v1',
      id: 'ev_1',
      dedupeKey: 'om_1',
      receivedAt: clock.now(),
    });
    const { token: _token, ...header } = message(1).header;
    expect(handler.events[0]!.payload).toEqual({ ...message(1), header });
    expect(bot.logs.some((l) => l.includes('"eventId":"ev_1"') && l.includes('event accepted'))).toBe(true);
  });

  it('refuses an oversized body sent in chunks without a length, and keeps serving', async () => {
    const { body, headers } = signed({ ...message(1), padding: 'x'.repeat(9000) });
    const chunks = [body.slice(0, 3000), body.slice(3000, 6000), body.slice(6000)];
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        const next = chunks.shift();
        if (next === undefined) c.close();
        else c.enqueue(new TextEncoder().encode(next));
      },
    });
    const res = await fetch(bot.url + '/webhook/event', {
      method: 'POST',
      headers,
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ error: 'body_too_large' });
    expect(await bot.store.pendingCount()).toBe(0);
    expect((await bot.post('/webhook/event', signed(message(2)))).status).toBe(200);
    await eventually(() => expect(handler.events.map((e) => e.id)).toEqual(['ev_2']));
  });

  it('takes a push whose URL carries a query string or a trailing slash, and leaves other methods to the rest of the app', async () => {
    expect((await bot.post('/webhook/event?from=proxy', signed(message(1)))).status).toBe(200);
    // As express's router matched it before: a trailing slash and another case are the same path.
    expect((await bot.post('/webhook/event/', signed(message(2)))).status).toBe(200);
    expect((await bot.post('/Webhook/Event', signed(message(3)))).status).toBe(200);
    await eventually(() => expect(handler.events).toHaveLength(3));
    expect((await fetch(bot.url + '/webhook/event')).status).toBe(404);
  });

  it('acknowledges before the handler finishes', async () => {
    let release!: () => void;
    handler.onEvent = () =>
      new Promise((r) => {
        release = r;
      });
    const res = await bot.post('/webhook/event', signed(message(2)));
    expect(res.status).toBe(200);
    await eventually(() => expect(handler.events).toHaveLength(1));
    expect(await bot.store.pendingCount()).toBe(1);
    release();
    await eventually(async () => expect(await bot.store.pendingCount()).toBe(0));
  });
});

describe('webhook receiver: card callbacks', () => {
  const value = { action: 'draft.send', draft: 'd1' };
  const card = {
    schema: '2.0',
    config: { update_multi: true },
    body: { elements: [{ tag: 'markdown', content: '已发送', i18n_content: { zh_cn: '已发送', en_us: 'Sent' } }] },
  };

  it("answers with the handler's response and runs afterAck only after the response is out", async () => {
    let afterAckCalls = 0;
    let finishAfterAck!: () => void;
    handler.onCard = async () => ({
      response: {
        toast: { type: 'success', content: '已发送', i18n: { zh_cn: '已发送', en_us: 'Sent' } },
        card: { type: 'raw', data: card },
      },
      afterAck: () => {
        afterAckCalls++;
        return new Promise<void>((r) => {
          finishAfterAck = r;
        });
      },
    });
    const res = await bot.post(
      '/webhook/event',
      signed(cardAction({ token: VERIFICATION_TOKEN, eventId: 'ev_c1', updateToken: 'c-1', value })),
    );
    // The answer arrives while afterAck is still running: the response never waits for it.
    expect(await res.json()).toEqual({
      toast: { type: 'success', content: '已发送', i18n: { zh_cn: '已发送', en_us: 'Sent' } },
      card: { type: 'raw', data: card },
    });
    await eventually(() => expect(afterAckCalls).toBe(1));
    finishAfterAck();
    expect(handler.cards.map((d) => [d.kind, d.id])).toEqual([['card', 'ev_c1']]);
    expect(handler.events).toEqual([]);
    expect(await bot.store.pendingCount()).toBe(0);
  });

  it('answers a sha1-verified legacy callback with the card at top level', async () => {
    handler.onCard = async () => ({
      response: { toast: { type: 'info', content: 'ok' }, card: { type: 'raw', data: card } },
    });
    const res = await bot.post(
      '/webhook/card',
      legacyCardPush(legacyCardAction({ updateToken: 'c-legacy', value }), {
        verificationToken: VERIFICATION_TOKEN,
        now: clock.now(),
      }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ...card, toast: { type: 'info', content: 'ok' } });
    expect(handler.cards[0]!.payload).toMatchObject({ legacy: true, event: { token: 'c-legacy', action: { value } } });
  });

  it('runs the handler once when the same click arrives as both a new and a legacy callback', async () => {
    handler.onCard = async () => ({ response: { toast: { type: 'success', content: 'done' } } });
    const fresh = await bot.post(
      '/webhook/card',
      signed(cardAction({ token: VERIFICATION_TOKEN, eventId: 'ev_c2', updateToken: 'c-same', value })),
    );
    const legacy = await bot.post(
      '/webhook/card',
      legacyCardPush(legacyCardAction({ updateToken: 'c-same', value }), {
        verificationToken: VERIFICATION_TOKEN,
        now: clock.now(),
      }),
    );
    expect(await fresh.json()).toEqual({ toast: { type: 'success', content: 'done' } });
    expect(await legacy.json()).toEqual({});
    expect(handler.cards).toHaveLength(1);
  });

  it('answers with an error toast and keeps serving when the card handler throws', async () => {
    handler.onCard = async () => {
      throw new Error('boom');
    };
    const res = await bot.post(
      '/webhook/event',
      signed(cardAction({ token: VERIFICATION_TOKEN, eventId: 'ev_c3', updateToken: 'c-3', value })),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ toast: { type: 'error' } });
    const next = await bot.post('/webhook/event', signed(message(3)));
    expect(next.status).toBe(200);
  });
});
