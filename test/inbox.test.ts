import { randomBytes, randomUUID } from 'node:crypto';
import { fdatasync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Sealer } from '../src/auth/seal.js';
import { silentLogger } from '../src/log.js';
import { Inbox } from '../src/inbox/inbox.js';
import { createMetrics } from '../src/metrics.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { messageEvent } from './helpers/feishu-push.js';
import { eventually, RecordingHandler, useBots, type RunningBot } from './helpers/intake-harness.js';

const h = useBots('inbox-');
const { start } = h;

const push = (n: number) => h.push(n, `ev_${n}_${Math.random()}`);

const settled = async (bot: RunningBot) => eventually(async () => expect(await bot.store.pendingCount()).toBe(0));

describe('inbox: exactly one handler run per event', () => {
  it('runs the handler once for a message delivered 5 times, including after a restart', async () => {
    const handler = new RecordingHandler();
    let bot = await start(handler);
    for (let i = 0; i < 3; i++) expect((await bot.post('/webhook/event', push(1))).status).toBe(200);
    await settled(bot);
    await bot.stop();
    h.bots.length = 0;

    h.clock.advance(60 * 60_000); // Feishu's 1 h re-push
    bot = await start(handler);
    for (let i = 0; i < 2; i++)
      expect(await (await bot.post('/webhook/event', push(1))).json()).toEqual({ msg: 'success' });
    await settled(bot);
    expect(handler.events.map((d) => d.dedupeKey)).toEqual(['om_1']);
    expect(await bot.metrics.eventsDuplicate.get()).toMatchObject({ values: [{ value: 2 }] });
  });

  it('processes, once each, events acknowledged by a bot that died before its workers took them', async () => {
    const before = new RecordingHandler();
    const dead = await start(before, { workersStopped: true });
    for (let n = 1; n <= 4; n++) expect((await dead.post('/webhook/event', push(n))).status).toBe(200);
    await dead.kill();
    h.bots.length = 0;
    expect(before.events).toEqual([]);

    const after = new RecordingHandler();
    const bot = await start(after);
    await settled(bot);
    expect(after.events.map((d) => d.dedupeKey).sort()).toEqual(['om_1', 'om_2', 'om_3', 'om_4']);
  });

  it('resumes, once each, events a killed bot was in the middle of handling, once their lease lapses', async () => {
    const hung = new RecordingHandler();
    hung.onEvent = () => new Promise(() => {});
    const dead = await start(hung, { drainMs: 20, inbox: { leaseMs: 30_000, pollMs: 20 } });
    for (let n = 1; n <= 3; n++) await dead.post('/webhook/event', push(n));
    await eventually(() => expect(hung.events).toHaveLength(3));
    await dead.kill();
    h.bots.length = 0;

    const after = new RecordingHandler();
    const bot = await start(after, { inbox: { leaseMs: 30_000, pollMs: 20 } });
    // Leases of the dead process still hold: nothing runs twice concurrently.
    await new Promise((r) => setTimeout(r, 100));
    expect(after.events).toEqual([]);
    h.clock.advance(30_000);
    await settled(bot);
    expect(after.events.map((d) => d.dedupeKey).sort()).toEqual(['om_1', 'om_2', 'om_3']);
  });
});

describe('inbox: failures', () => {
  it('retries a failing handler with backoff until it succeeds', async () => {
    const handler = new RecordingHandler();
    let failures = 2;
    handler.onEvent = async () => {
      if (failures-- > 0) throw new Error('Open API 429');
    };
    const delays: number[] = [];
    const bot = await start(handler, {
      inbox: {
        retryDelayMs: (attempt) => {
          delays.push(attempt);
          return 0;
        },
      },
    });
    await bot.post('/webhook/event', push(1));
    await settled(bot);
    expect(handler.events).toHaveLength(3);
    expect(delays).toEqual([1, 2]);
    expect(await bot.store.auditLog()).toEqual([]);
  });

  it('gives up after the last attempt with an error log and an audit record, never silently', async () => {
    const handler = new RecordingHandler();
    handler.onEvent = async () => {
      throw new Error('mailbox not found');
    };
    const bot = await start(handler, { inbox: { maxAttempts: 3 } });
    await bot.post('/webhook/event', push(7));
    await settled(bot);
    expect(handler.events).toHaveLength(3);
    const [record] = await bot.store.auditLog();
    expect(record).toMatchObject({
      actor: 'system',
      action: 'inbox.give_up',
      result: 'error',
      eventId: handler.events[0]!.id,
    });
    expect(record!.detail).toContain('mailbox not found');
    expect(bot.logs.some((l) => l.includes('giving up on an event'))).toBe(true);
  });

  it('gives up on an event whose runs keep dying, without running it again', async () => {
    const file = join(h.dir, 'bot.sqlite');
    const store = new SqliteStore(file, { now: h.clock.now });
    const handler = new RecordingHandler();
    const metrics = createMetrics();
    const inbox = new Inbox(
      { store, handler, logger: silentLogger, metrics },
      { concurrency: 1, dedupeTtlMs: 8 * 3_600_000, maxAttempts: 2, leaseMs: 1_000, now: h.clock.now, pollMs: 20 },
    );
    const d = {
      kind: 'event' as const,
      type: 'im.message.receive_v1',
      id: 'ev_p',
      dedupeKey: 'om_p',
      payload: messageEvent({ token: 't', eventId: 'ev_p', messageId: 'om_p' }),
      receivedAt: h.clock.now(),
    };
    expect(await inbox.accept(d)).toBe('accepted');
    // Two claims by workers that died mid-run.
    for (let i = 0; i < 2; i++) {
      expect(await store.lease(1, 1_000)).toHaveLength(1);
      h.clock.advance(1_000);
    }
    inbox.start();
    await eventually(async () => expect(await store.pendingCount()).toBe(0));
    await inbox.stop();
    expect(handler.events).toEqual([]);
    expect((await store.auditLog())[0]).toMatchObject({ action: 'inbox.give_up', eventId: 'ev_p' });
    await store.close();
  });
});

/** A handler whose runs wait until their gate is opened, counting how many run at once. */
function gatedHandler() {
  const g = { handler: new RecordingHandler(), active: 0, peak: 0, gates: [] as (() => void)[] };
  g.handler.onEvent = () => {
    g.active++;
    g.peak = Math.max(g.peak, g.active);
    return new Promise<void>((r) =>
      g.gates.push(() => {
        g.active--;
        r();
      }),
    );
  };
  return g;
}

describe('inbox: workers', () => {
  it('never runs more handlers at once than the configured concurrency', async () => {
    const g = gatedHandler();
    const bot = await start(g.handler, { app: { inbox: { concurrency: 2, dedupeHours: 8 } } });
    for (let n = 1; n <= 6; n++) await bot.post('/webhook/event', push(n));
    for (let done = 0; done < 6; done++) {
      await eventually(() => expect(g.gates.length).toBeGreaterThan(0));
      expect(g.active).toBeLessThanOrEqual(2);
      g.gates.shift()!();
    }
    await settled(bot);
    expect(g.handler.events).toHaveLength(6);
    expect(g.peak).toBe(2);
  });

  it('keeps a long-running item from a second process by renewing its lease', async () => {
    const file = join(h.dir, 'shared.sqlite');
    const stores = [new SqliteStore(file), new SqliteStore(file)];
    const handler = new RecordingHandler();
    let finish!: () => void;
    handler.onEvent = () =>
      new Promise((r) => {
        finish = r;
      });
    const opts = { concurrency: 1, dedupeTtlMs: 3_600_000, leaseMs: 150, pollMs: 20 };
    const inboxes = stores.map(
      (store) => new Inbox({ store, handler, logger: silentLogger, metrics: createMetrics() }, opts),
    );
    inboxes[0]!.start();
    await inboxes[0]!.accept({
      kind: 'event',
      type: 'x.y',
      id: 'ev_l',
      dedupeKey: 'ev_l',
      payload: { schema: '2.0', header: { event_id: 'ev_l', event_type: 'x.y' }, event: {} },
      receivedAt: Date.now(),
    });
    await eventually(() => expect(handler.events).toHaveLength(1));
    inboxes[1]!.start();
    await new Promise((r) => setTimeout(r, 500)); // more than three lease lengths
    expect(handler.events).toHaveLength(1);
    finish();
    await eventually(async () => expect(await stores[0]!.pendingCount()).toBe(0));
    for (const i of inboxes) await i.stop();
    for (const s of stores) await s.close();
  });
});

describe('inbox: acknowledgements first', () => {
  it('starts at most a quarter of the workers while a burst of pushes waits for its write, and all once it is answered', async () => {
    const store = new SqliteStore(join(h.dir, 'burst.sqlite'));
    const delivery = (n: number) => ({
      kind: 'event' as const,
      type: 'im.message.receive_v1',
      id: `ev_b${n}`,
      dedupeKey: `om_b${n}`,
      payload: messageEvent({ token: 't', eventId: `ev_b${n}`, messageId: `om_b${n}` }),
      receivedAt: 1,
    });
    // A backlog the workers could run at once...
    for (let n = 0; n < 12; n++)
      await store.enqueue(
        {
          dedupeKey: `om_old${n}`,
          type: 'im.message.receive_v1',
          payload: JSON.stringify(delivery(100 + n).payload),
          receivedAt: 1,
        },
        3_600_000,
      );
    // ...while five pushes wait for their write (held here as a slow disk would).
    let release!: () => void;
    const disk = new Promise<void>((r) => {
      release = r;
    });
    const held = Object.create(store) as SqliteStore;
    held.enqueue = async (item, ttl) => {
      await disk;
      return store.enqueue(item, ttl);
    };
    const g = gatedHandler();
    const inbox = new Inbox(
      { store: held, handler: g.handler, logger: silentLogger, metrics: createMetrics() },
      { concurrency: 8, dedupeTtlMs: 3_600_000, pollMs: 20 },
    );
    const acks = Array.from({ length: 5 }, (_, n) => inbox.accept(delivery(n)));
    inbox.start();
    await new Promise((r) => setTimeout(r, 100));
    expect(g.active).toBe(2);
    release();
    expect(await Promise.all(acks)).toEqual(Array(5).fill('accepted'));
    await eventually(() => expect(g.active).toBe(8));
    while (g.handler.events.length < 17 || g.gates.length) {
      const open = g.gates.shift();
      if (open) open();
      else await new Promise((r) => setTimeout(r, 10));
    }
    expect(g.peak).toBe(8);
    await inbox.stop();
    await store.close();
  });
});

describe('inbox: a free worker takes an event as it is committed', () => {
  it('runs the handler while the disk flushes, answers the push only once the flush is done, and runs it once', async () => {
    let hold = true;
    const held: (() => void)[] = [];
    const store = new SqliteStore(join(h.dir, 'handoff.sqlite'), {
      fdatasync: (fd, done) => (hold ? held.push(() => fdatasync(fd, done)) : fdatasync(fd, done)),
    });
    const handler = new RecordingHandler();
    const inbox = new Inbox(
      { store, handler, logger: silentLogger, metrics: createMetrics() },
      { concurrency: 2, dedupeTtlMs: 3_600_000, pollMs: 20 },
    );
    inbox.start();
    let acked = false;
    const ack = inbox
      .accept({
        kind: 'event',
        type: 'im.message.receive_v1',
        id: 'ev_h',
        dedupeKey: 'om_h',
        payload: messageEvent({ token: 't', eventId: 'ev_h', messageId: 'om_h' }),
        receivedAt: Date.now(),
      })
      .then((o) => {
        acked = true;
        return o;
      });
    await eventually(() => expect(handler.events.map((d) => d.dedupeKey)).toEqual(['om_h']));
    expect(acked).toBe(false);
    expect(held.length).toBeGreaterThan(0);
    hold = false;
    held.splice(0).forEach((sync) => sync());
    expect(await ack).toBe('accepted');
    await eventually(async () => expect(await store.pendingCount()).toBe(0));
    await new Promise((r) => setTimeout(r, 100)); // several polls: no worker claims it again
    expect(handler.events).toHaveLength(1);
    await inbox.stop();
    await store.close();
  });
});

describe('inbox: at rest', () => {
  it("stores each payload sealed when given a sealer, so a message's text is in no file, and still runs items stored as JSON", async () => {
    const file = join(h.dir, 'sealed.sqlite');
    const store = new SqliteStore(file);
    const handler = new RecordingHandler();
    const inbox = new Inbox(
      { store, handler, logger: silentLogger, metrics: createMetrics(), sealer: new Sealer(randomBytes(32)) },
      { concurrency: 1, dedupeTtlMs: 3_600_000, pollMs: 20 },
    );
    const text = `/draft bcc=auditor@example.com ${randomUUID()}`;
    const event = (messageId: string, t?: string) =>
      messageEvent({ token: 't', eventId: `ev_${messageId}`, messageId, ...(t ? { text: t } : {}) });
    // Left by a version that stored payloads as JSON.
    await store.enqueue(
      { dedupeKey: 'om_json', type: 'im.message.receive_v1', payload: JSON.stringify(event('om_json')), receivedAt: 1 },
      3_600_000,
    );
    expect(
      await inbox.accept({
        kind: 'event',
        type: 'im.message.receive_v1',
        id: 'ev_om_s',
        dedupeKey: 'om_s',
        payload: event('om_s', text),
        receivedAt: 1,
      }),
    ).toBe('accepted');
    const db = new Database(file, { readonly: true });
    const row = db.prepare<[], { payload: string }>("SELECT payload FROM inbox WHERE dedupe_key = 'om_s'").get();
    db.close();
    expect(row?.payload).toMatch(/^v1\./);
    const holding = () =>
      readdirSync(h.dir).filter((f) => f.startsWith('sealed.sqlite') && readFileSync(join(h.dir, f)).includes(text));
    expect(holding()).toEqual([]);

    inbox.start();
    await eventually(async () => expect(await store.pendingCount()).toBe(0));
    await inbox.stop();
    expect(handler.events.map((d) => d.dedupeKey).sort()).toEqual(['om_json', 'om_s']);
    expect(JSON.stringify(handler.events.find((d) => d.dedupeKey === 'om_s')?.payload)).toContain(text);
    expect(holding()).toEqual([]);
    await store.close();
  });
});
