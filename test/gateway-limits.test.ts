import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyedSerializer, MemoryLimiterStore, RateLimiter } from '../src/feishu/client/limits.js';

/** A limiter on a frozen clock: records when each caller was allowed through instead of sleeping. */
function frozen(overrides?: ConstructorParameters<typeof RateLimiter>[0]) {
  let now = 0;
  const allowedAt: number[] = [];
  const limiter = new RateLimiter({
    ...overrides,
    now: () => now,
    sleep: async (ms) => {
      allowedAt.push(now + ms);
    },
  });
  const acquire = async (...args: Parameters<RateLimiter['acquire']>) => {
    const before = allowedAt.length;
    await limiter.acquire(...args);
    if (allowedAt.length === before) allowedAt.push(now);
  };
  return { acquire, allowedAt, setNow: (t: number) => (now = t) };
}

const maxInWindow = (times: number[], ms: number) =>
  Math.max(0, ...times.map((t) => times.filter((s) => s >= t && s < t + ms).length));

// Windows run long as a margin against latency jitter (5%, at least 100 ms: limits.ts), hence 1100 ms and 63 s.
describe('rate limiter', () => {
  it('spreads a burst over time instead of refusing it (mail draft create: 5/s)', async () => {
    const l = frozen();
    for (let i = 0; i < 12; i++) await l.acquire('mail.draft.create');
    expect([...l.allowedAt].sort((a, b) => a - b)).toEqual([0, 0, 0, 0, 0, 1100, 1100, 1100, 1100, 1100, 2200, 2200]);
  });

  it('honours a per-minute quota (mail contact create: 20/min)', async () => {
    const l = frozen();
    for (let i = 0; i < 25; i++) await l.acquire('mail.contact.create');
    expect(l.allowedAt.filter((t) => t === 0)).toHaveLength(20);
    expect(l.allowedAt.slice(20)).toEqual([63_000, 63_000, 63_000, 63_000, 63_000]);
  });

  it('limits messages per chat without slowing other chats', async () => {
    const l = frozen();
    for (let i = 0; i < 6; i++) await l.acquire('message.create', 'oc_a');
    await l.acquire('message.create', 'oc_b');
    expect(l.allowedAt).toEqual([0, 0, 0, 0, 0, 1100, 0]);
  });

  it('takes overrides from app.config.json rateLimits', async () => {
    const l = frozen({ overrides: { 'mail.draft.send': { perSecond: 1 } } });
    for (let i = 0; i < 3; i++) await l.acquire('mail.draft.send');
    expect(l.allowedAt).toEqual([0, 1100, 2200]);
  });

  it('rejects an unknown endpoint name in rateLimits with the list of valid names', () => {
    expect(() => new RateLimiter({ overrides: { 'chat.creat': { perSecond: 1 } } })).toThrow(/unknown endpoint "chat.creat".*chat\.create/);
  });

  it('never lets more than the limit through in any window, whatever the arrival times', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 40 }),
        async (limit, arrivals) => {
          const store = new MemoryLimiterStore();
          const times: number[] = [];
          for (const t of [...arrivals].sort((a, b) => a - b)) {
            const at = await store.reserve([{ key: 'k', windows: [{ limit, ms: 1000 }] }], t);
            expect(at).toBeGreaterThanOrEqual(t);
            times.push(at);
          }
          expect(maxInWindow(times, 1000)).toBeLessThanOrEqual(limit);
        },
      ),
    );
  });
});

describe('keyed serializer', () => {
  it('runs tasks for one key one at a time, and other keys alongside', async () => {
    const s = new KeyedSerializer();
    const running = new Map<string, number>();
    let maxSame = 0;
    let maxAll = 0;
    const task = (key: string) => async () => {
      running.set(key, (running.get(key) ?? 0) + 1);
      maxSame = Math.max(maxSame, running.get(key) ?? 0);
      maxAll = Math.max(maxAll, [...running.values()].reduce((a, b) => a + b, 0));
      await new Promise((r) => setImmediate(r));
      running.set(key, (running.get(key) ?? 1) - 1);
      if (key === 'a:fail') throw new Error('boom');
    };
    const results = await Promise.allSettled([
      s.run('a', task('a')), s.run('a', task('a')), s.run('b', task('b')), s.run('a:fail', task('a:fail')), s.run('a:fail', task('a:fail')),
    ]);
    expect(maxSame).toBe(1);
    expect(maxAll).toBeGreaterThan(1);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected']);
  });
});
