import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Endpoint } from '../src/feishu/endpoints.js';
import {
  KvLimiterStore,
  MemoryLimiterStore,
  RateLimiter,
  type KeyedWindows,
  type LimiterStore,
} from '../src/feishu/client/limits.js';
import { InProcessLock } from '../src/store/lock.js';
import { SqliteStore } from '../src/store/sqlite.js';

/** Virtual time: sleeps end when `drain` reaches them, in time order, after everything else due has run. */
function virtualTime() {
  let now = 0;
  const timers: { at: number; fire: () => void }[] = [];
  const sleep = (ms: number) => new Promise<void>((fire) => timers.push({ at: now + ms, fire }));
  const drain = async () => {
    for (;;) {
      await new Promise((r) => setImmediate(r));
      timers.sort((a, b) => a.at - b.at);
      const next = timers.shift();
      if (!next) return;
      now = Math.max(now, next.at);
      next.fire();
    }
  };
  return { now: () => now, sleep, drain };
}

interface CallSpec {
  endpoint: Endpoint;
  key?: string;
  /** When the caller asks for a slot. */
  arrival?: number;
  /** From sending to the answer (or the failure). */
  latency?: number;
  fails?: boolean;
}

/** Callers going through one limiter on virtual time, each as the Feishu client does it; returns their send times. */
async function simulate(calls: CallSpec[], options?: ConstructorParameters<typeof RateLimiter>[0]) {
  const t = virtualTime();
  const limiter = new RateLimiter({ ...options, now: t.now, sleep: t.sleep });
  const outcomes = calls.map(async (c) => {
    await t.sleep(c.arrival ?? 0);
    const answered = await limiter.acquire(c.endpoint, c.key);
    const sent = t.now();
    const call = t.sleep(c.latency ?? 0).then(() => {
      if (c.fails) throw new Error('timeout');
    });
    await call.finally(answered).catch(() => undefined);
    return sent;
  });
  await t.drain();
  return Promise.all(outcomes);
}

const calls = (n: number, spec: CallSpec): CallSpec[] => Array.from({ length: n }, () => spec);

describe('rate limiter', () => {
  it('spreads a burst over time instead of refusing it (mail draft create: 5/s)', async () => {
    const sent = await simulate(calls(12, { endpoint: 'mail.draft.create' }));
    expect(sent).toEqual([0, 0, 0, 0, 0, 1000, 1000, 1000, 1000, 1000, 2000, 2000]);
  });

  it('honours a per-minute quota (mail contact create: 20/min)', async () => {
    const sent = await simulate(calls(25, { endpoint: 'mail.contact.create' }));
    expect(sent).toEqual([...Array<number>(20).fill(0), ...Array<number>(5).fill(60_000)]);
  });

  it('limits messages per chat without slowing other chats', async () => {
    const sent = await simulate([
      ...calls(6, { endpoint: 'message.create', key: 'oc_a' }),
      { endpoint: 'message.create', key: 'oc_b' },
    ]);
    expect(sent).toEqual([0, 0, 0, 0, 0, 1000, 0]);
  });

  it('takes overrides from app.config.json rateLimits', async () => {
    const sent = await simulate(calls(3, { endpoint: 'mail.draft.send' }), {
      overrides: { 'mail.draft.send': { perSecond: 1 } },
    });
    expect(sent).toEqual([0, 1000, 2000]);
  });

  it('rejects an unknown endpoint name in rateLimits with the list of valid names', () => {
    expect(() => new RateLimiter({ overrides: { 'chat.creat': { perSecond: 1 } } })).toThrow(
      /unknown endpoint "chat.creat".*chat\.create/,
    );
  });

  it("starts the next window slot from the previous call's answer, not its send", async () => {
    const sent = await simulate(calls(3, { endpoint: 'mail.draft.send', latency: 300 }), {
      overrides: { 'mail.draft.send': { perSecond: 1 } },
    });
    expect(sent).toEqual([0, 1300, 2600]);
  });

  it('a call that never answers (error/timeout) still frees its slot when it fails, one window later', async () => {
    const sent = await simulate(
      [
        { endpoint: 'mail.draft.send', latency: 10_000, fails: true },
        { endpoint: 'mail.draft.send', arrival: 1 },
      ],
      { overrides: { 'mail.draft.send': { perSecond: 1 } } },
    );
    expect(sent).toEqual([0, 11_000]);
  });

  it('counts a call still in flight in every window, and lets the next caller go once an answer times it', async () => {
    // 2/s: the slow call holds its place throughout; the third caller waits for the fast call's answer, the fourth
    // for the third's (the slow one is still out).
    const sent = await simulate(
      [
        { endpoint: 'mail.draft.send', latency: 5_000 },
        { endpoint: 'mail.draft.send', latency: 100 },
        { endpoint: 'mail.draft.send', arrival: 1, latency: 100 },
        { endpoint: 'mail.draft.send', arrival: 2, latency: 100 },
      ],
      { overrides: { 'mail.draft.send': { perSecond: 2 } } },
    );
    expect(sent).toEqual([0, 0, 1100, 2200]);
  });

  it('serves waiting callers in arrival order, on a store that takes time to answer (as Redis does)', async () => {
    const t = virtualTime();
    const memory = new MemoryLimiterStore();
    // Every store operation takes 5 ms: a caller arriving while a slot settles must not pass the one already waiting.
    const store: LimiterStore = {
      reserve: async (...args) => (await t.sleep(5), memory.reserve(...args)),
      settle: async (...args) => (await t.sleep(5), memory.settle(...args)),
    };
    const limiter = new RateLimiter({
      now: t.now,
      sleep: t.sleep,
      store,
      overrides: { 'mail.draft.send': { perSecond: 1 } },
    });
    const order: string[] = [];
    const caller = async (name: string, arrival: number) => {
      await t.sleep(arrival);
      const answered = await limiter.acquire('mail.draft.send');
      order.push(name);
      await t.sleep(10).finally(answered);
    };
    // first: sent at 5, answers at 15, settled at 20; second waits from 1; third arrives while first settles.
    const all = [caller('first', 0), caller('second', 1), caller('third', 16)];
    await t.drain();
    await Promise.all(all);
    expect(order).toEqual(['first', 'second', 'third']);
  });

  it('never lets more than the limit reach the server in any window, whatever the arrivals and latencies', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(
          fc.record({
            arrival: fc.integer({ min: 0, max: 3000 }),
            latency: fc.integer({ min: 0, max: 800 }),
            receivedAt: fc.double({ min: 0, max: 1, noNaN: true }),
            fails: fc.boolean(),
          }),
          { minLength: 1, maxLength: 30 },
        ),
        async (limit, specs) => {
          const sent = await simulate(
            specs.map((s) => ({ endpoint: 'mail.draft.send', ...s })),
            { overrides: { 'mail.draft.send': { perSecond: limit } } },
          );
          // The server counts a call somewhere between its send and its answer, in windows (t − 1 s, t].
          const received = sent.map((at, i) => at + Math.floor(specs[i]!.latency * specs[i]!.receivedAt));
          for (const r of received)
            expect(received.filter((x) => x > r - 1000 && x <= r).length).toBeLessThanOrEqual(limit);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('limiter stores', () => {
  const draft: KeyedWindows[] = [{ key: 'mail.draft.send', windows: [{ limit: 2, ms: 1000 }] }];

  it('says which key blocks when its whole limit is in flight, and takes a slot once one answers', async () => {
    const store = new MemoryLimiterStore();
    expect(await store.reserve(draft, 0, 'a', 5_000)).toEqual({ at: 0 });
    expect(await store.reserve(draft, 0, 'b', 5_000)).toEqual({ at: 0 });
    expect(await store.reserve(draft, 10, 'c', 5_000)).toEqual({ blockedOn: 'mail.draft.send' });
    await store.settle(draft, 'b', 250);
    expect(await store.reserve(draft, 260, 'c', 5_000)).toEqual({ at: 1250 });
  });

  it('a restarted process counts a call its predecessor left in flight as answered at the call bound', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'limiter-kv-'));
    const file = join(dir, 'bot.sqlite');
    try {
      const before = new SqliteStore(file);
      const first = new KvLimiterStore(before);
      await first.reserve(draft, 0, 'answered', 5_000);
      await first.reserve(draft, 0, 'lost', 5_000);
      await first.settle(draft, 'answered', 300);
      before.close();
      const after = new SqliteStore(file);
      try {
        const second = new KvLimiterStore(after);
        // Answers at 300 and (for the lost call) 5000: a place free from 1300, and after that only from 6000.
        expect(await second.reserve(draft, 400, 'x', 5_000)).toEqual({ at: 1300 });
        await second.settle(draft, 'x', 1_310);
        expect(await second.reserve(draft, 1_320, 'y', 5_000)).toEqual({ at: 2_310 });
        expect(await second.reserve(draft, 1_320, 'z', 5_000)).toEqual({ at: 6_000 });
      } finally {
        after.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('keyed serializer', () => {
  it('runs tasks for one key one at a time, and other keys alongside', async () => {
    const s = new InProcessLock();
    const running = new Map<string, number>();
    let maxSame = 0;
    let maxAll = 0;
    const task = (key: string) => async () => {
      running.set(key, (running.get(key) ?? 0) + 1);
      maxSame = Math.max(maxSame, running.get(key) ?? 0);
      maxAll = Math.max(
        maxAll,
        [...running.values()].reduce((a, b) => a + b, 0),
      );
      await new Promise((r) => setImmediate(r));
      running.set(key, (running.get(key) ?? 1) - 1);
      if (key === 'a:fail') throw new Error('boom');
    };
    const results = await Promise.allSettled([
      s.run('a', task('a')),
      s.run('a', task('a')),
      s.run('b', task('b')),
      s.run('a:fail', task('a:fail')),
      s.run('a:fail', task('a:fail')),
    ]);
    expect(maxSame).toBe(1);
    expect(maxAll).toBeGreaterThan(1);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected']);
  });
});
