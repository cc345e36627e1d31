/**
 * Long-connection mode against the emulator, with the official SDK's WSClient unmodified on the other end:
 * endpoint discovery, ping/pong, fragments, acks (with a card answer), re-push on a failed or missing ack.
 */
import { once } from 'node:events';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import * as lark from '@larksuiteoapi/node-sdk';
import { WebSocket } from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { decodeFrame, encodeFrame } from '../src/emulator/long-connection.js';
import { testSandbox } from './helpers/sandbox.js';
import { eventually } from './helpers/provisioning.js';
import { eventPush, messageEvent } from './helpers/feishu-push.js';

const quiet = { error: () => {}, warn: () => {}, info: () => {}, debug: () => {}, trace: () => {} };

describe('long connection: the emulator as Feishu, the official WSClient as the bot', () => {
  let emulator: Emulator;
  const clients: lark.WSClient[] = [];

  /** A WSClient on the emulator whose dispatcher is `invoke`; resolves once connected. */
  const connect = (invoke: (data: unknown) => Promise<unknown>, secret = emulator.state.app.appSecret) =>
    new Promise<lark.WSClient>((resolve, reject) => {
      const client = new lark.WSClient({
        appId: emulator.state.app.appId,
        appSecret: secret,
        domain: emulator.url,
        logger: quiet,
        onReady: () => resolve(client),
        onError: reject,
      });
      clients.push(client);
      void client.start({ eventDispatcher: { invoke } as unknown as lark.EventDispatcher });
    });

  beforeEach(async () => {
    // 15 s of retry ladder pass in 15 ms.
    emulator = await startEmulator({ timeScale: 1000 });
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close({ force: true });
    await emulator.close();
  });

  it('encodes every required pbbp2 field, zeros included, as the SDK decoder demands', () => {
    // SeqID, LogID, service and method: tag and a zero each, where a proto3-style encoder would write nothing.
    expect([...encodeFrame({ SeqID: 0, LogID: 0, service: 0, method: 0, headers: [] })]).toEqual([
      0x08, 0, 0x10, 0, 0x18, 0, 0x20, 0,
    ]);
    const frame = {
      SeqID: 7,
      LogID: 7,
      service: 1,
      method: 1,
      headers: [{ key: 'type', value: 'event' }],
      payload: Buffer.from('{}'),
    };
    expect(decodeFrame(encodeFrame(frame))).toMatchObject(frame);
  });

  it('discovers the endpoint, connects and gets a pong for its ping', async () => {
    await connect(async () => undefined);
    expect(emulator.delivery.longConnections.connections).toBe(1);
    // WSClient pings as soon as it is connected.
    await eventually(() => expect(emulator.delivery.longConnections.pongs).toBeGreaterThanOrEqual(1));
  });

  it('refuses wrong app credentials, which stops the SDK instead of retrying', async () => {
    await expect(connect(async () => undefined, 'wrong-secret')).rejects.toThrow(/code=10014/);
    expect(emulator.delivery.longConnections.connections).toBe(0);
  });

  it('splits a large event into fragments that the SDK puts back together, and takes its ack as delivered', async () => {
    const got: unknown[] = [];
    await connect(async (data) => {
      got.push(data);
      return undefined;
    });
    emulator.delivery.configure({ transport: 'websocket', fragmentBytes: 256 });
    const text = '长消息 long message '.repeat(200);
    const { event } = emulator.delivery.sendMessage({ from: '张伟', text });
    expect((await emulator.delivery.settled(event!)).state).toBe('delivered');
    expect(emulator.delivery.longConnections.framesSent).toBeGreaterThan(10);
    expect(got).toEqual([event!.payload]);
    expect(JSON.parse((got[0] as { event: { message: { content: string } } }).event.message.content).text).toBe(text);
  });

  it('re-pushes an event acked with 500 (the handler threw) along the retry ladder', async () => {
    let calls = 0;
    await connect(async () => {
      if (++calls === 1) throw new Error('store down');
      return undefined;
    });
    emulator.delivery.configure({ transport: 'websocket' });
    const { event } = emulator.delivery.sendMessage({ from: '张伟', text: '/help' });
    await eventually(() => expect(event!.state).toBe('delivered'));
    expect(event!.attempts.map((a) => a.status)).toEqual([500, 200]);
  });

  it('re-pushes an event that got no ack within 3 s', async () => {
    let calls = 0;
    await connect(async () => {
      if (++calls === 1) await new Promise((r) => setTimeout(r, 3_500));
      return undefined;
    });
    emulator.delivery.configure({ transport: 'websocket' });
    const { event } = emulator.delivery.sendMessage({ from: '张伟', text: '/help' });
    await eventually(() => expect(event!.state).toBe('delivered'), 15_000);
    expect(event!.attempts[0]).toMatchObject({ error: 'no ack within 3000 ms' });
    expect(event!.attempts.at(-1)?.status).toBe(200);
  });

  it('says so when an event is pushed while no bot is connected', async () => {
    emulator.delivery.configure({ transport: 'websocket' });
    const { event } = emulator.delivery.sendMessage({ from: '张伟', text: '/help' });
    await eventually(() =>
      expect(event!.attempts[0]?.error).toMatch(/no long connection open.*FEISHU_TRANSPORT=websocket/),
    );
  });

  it("refuses a WebSocket without a ticket from endpoint discovery, with Feishu's handshake headers", async () => {
    const ws = new WebSocket(`${emulator.url.replace('http', 'ws')}/ws/v2?device_id=1&service_id=1`);
    const [, res] = (await once(ws, 'unexpected-response')) as [unknown, IncomingMessage];
    expect(res.statusCode).toBe(403);
    expect(res.headers['handshake-msg']).toMatch(/ticket/);
    ws.on('error', () => {}); // terminating a refused handshake reports it as an error
    ws.terminate();
  });
});

describe('long connection: the bot', () => {
  it('reports its transport and store in /healthz and answers commands over it', async () => {
    const sb = await testSandbox({}, { timeScale: 1000 }, { FEISHU_TRANSPORT: 'websocket' });
    try {
      expect(await (await fetch(`${sb.botUrl}/healthz`)).json()).toEqual({
        ok: true,
        store: 'sqlite',
        transport: { kind: 'websocket', state: 'connected' },
      });
      const messageId = await sb.say('张伟', '/help');
      expect(await sb.replies(messageId)).toHaveLength(1);
      expect(sb.delivery.events.every((e) => e.attempts.every((a) => a.status === 200))).toBe(true);
    } finally {
      await sb.close();
    }
  });

  it('serves no webhook routes: a push posted over HTTP is not handled', async () => {
    const sb = await testSandbox({}, { timeScale: 1000 }, { FEISHU_TRANSPORT: 'websocket' });
    try {
      // Correctly signed and encrypted, as Feishu would send it: refused all the same, since nothing should come by HTTP.
      const push = eventPush(
        messageEvent({ token: sb.config.env.FEISHU_VERIFICATION_TOKEN!, eventId: 'e-http', messageId: 'om_http' }),
        { encryptKey: sb.config.env.FEISHU_ENCRYPT_KEY!, now: Date.now() },
      );
      for (const path of ['/webhook/event', '/webhook/card']) {
        const res = await fetch(`${sb.botUrl}${path}`, { method: 'POST', headers: push.headers, body: push.body });
        expect(res.status).toBe(404);
      }
    } finally {
      await sb.close();
    }
  });

  it('stores no delivery with its verification token', async () => {
    const sb = await testSandbox({}, { timeScale: 1000 }, { FEISHU_TRANSPORT: 'websocket' });
    try {
      const token = sb.config.env.FEISHU_VERIFICATION_TOKEN!;
      const messageId = await sb.say('张伟', '/help');
      expect(await sb.replies(messageId)).toHaveLength(1);
      // The emulator pushed it with the token, as Feishu does.
      expect(JSON.stringify(sb.delivery.events.at(-1)!.payload)).toContain(token);
      await sb.bot.store.close();
      const files = readdirSync(sb.dataDir, { recursive: true, encoding: 'utf8' })
        .map((f) => join(sb.dataDir, f))
        .filter((f) => statSync(f).isFile());
      expect(files.some((f) => f.endsWith('.sqlite'))).toBe(true);
      for (const f of files) expect(readFileSync(f).includes(Buffer.from(token)), f).toBe(false);
    } finally {
      await sb.close().catch(() => {});
    }
  });

  it('does not ack an event it could not persist (500), so Feishu re-pushes it', async () => {
    const sb = await testSandbox({}, { timeScale: 1000 }, { FEISHU_TRANSPORT: 'websocket' });
    try {
      await sb.bot.store.close();
      const { event } = sb.delivery.sendMessage({ from: '张伟', text: '/help' });
      await eventually(() => expect(event!.attempts.length).toBeGreaterThanOrEqual(2));
      expect(event!.attempts.slice(0, 2).map((a) => a.status)).toEqual([500, 500]);
    } finally {
      await sb.close().catch(() => {});
    }
  });
});
