import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { MemoryLimiterStore, type KeyedWindows, type Reservation } from '../src/feishu/client/limits.js';
import { openStore } from '../src/store/index.js';
import { RedisStore } from '../src/store/redis.js';
import { describeStoreContract } from './store-contract.js';
import { useRedis } from './helpers/redis.js';
import { startRedis } from './helpers/redis-server.js';
import { isStoreUnavailable } from '../src/store/store.js';

const redis = useRedis();

describeStoreContract('redis', async () => {
  const prefix = redis.server.prefix();
  return {
    open: (now) => RedisStore.open(redis.server.url, { now, prefix }),
    destroy: async () => {},
  };
});

describe('RedisStore specifics', () => {
  it('is chosen by REDIS_URL, which takes precedence over the sqlite default', async () => {
    const config = parseConfig({}, { REDIS_URL: redis.server.url });
    const store = await openStore(config, '/nonexistent-data-dir');
    try {
      expect(store).toBeInstanceOf(RedisStore);
      await store.set('via-env', 'v', 60_000);
      expect(await store.get('via-env')).toBe('v');
    } finally {
      await store.close();
    }
  });

  it('is chosen by store.kind "redis" in app.config.json', async () => {
    const store = await openStore(
      parseConfig({ store: { kind: 'redis', url: redis.server.url } }, {}),
      '/nonexistent-data-dir',
    );
    try {
      expect(store).toBeInstanceOf(RedisStore);
    } finally {
      await store.close();
    }
  });

  it('refuses a REDIS_URL that is not redis://, and a password in app.config.json, saying where it belongs', () => {
    expect(() => parseConfig({}, { REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(
      /env REDIS_URL: must be a URL such as redis:\/\//,
    );
    expect(() => parseConfig({ store: { kind: 'redis', url: 'redis://:pw@127.0.0.1:6379' } }, {})).toThrow(
      /store.url: .*put a URL with a password in REDIS_URL/,
    );
  });

  it('says which Redis it could not reach, without the password, and what to check', async () => {
    const url = `redis://:s3cret@127.0.0.1:${redis.server.port + 1}`;
    const failure = RedisStore.open(url).catch((e: Error) => e.message);
    const message = await failure;
    expect(message).toMatch(/cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1.*REDIS_URL/);
    expect(message).not.toContain('s3cret');
  });

  it('reports a Redis that is down for a moment as unavailable, so the work goes back to the inbox instead of failing', async () => {
    const own = await startRedis();
    const store = await RedisStore.open(own.url, { prefix: own.prefix() });
    try {
      await store.set('k', 'v', 60_000);
      const restarting = own.restart(2_000);
      const failure = await store.get('k').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isStoreUnavailable(failure)).toBe(true);
      expect(isStoreUnavailable(new Error('a bug'))).toBe(false);
      await restarting;
    } finally {
      await store.close().catch(() => {});
      await own.stop();
    }
  });

  it('warns when Redis does not fsync every write, and not when it does', async () => {
    const warnings: string[] = [];
    const admin = new Redis(redis.server.url);
    const open = async () =>
      (
        await RedisStore.open(redis.server.url, { prefix: redis.server.prefix(), warn: (m) => warnings.push(m) })
      ).close();
    try {
      await open();
      expect(warnings).toEqual([]);
      await admin.config('SET', 'appendfsync', 'everysec');
      await open();
      expect(warnings).toEqual([
        expect.stringMatching(/appendfsync everysec.*set appendonly yes and appendfsync always/),
      ]);
    } finally {
      await admin.config('SET', 'appendfsync', 'always');
      await admin.quit();
    }
  });

  describe('shared rate-limit budget (LimiterStore)', () => {
    const T0 = 1_700_000_000_000;
    const windows = (limit: number, ms: number): KeyedWindows[] => [
      { key: 'mail.draft.create', windows: [{ limit, ms }] },
    ];
    const outcome = (r: Reservation) => ('at' in r ? { at: r.at } : { blockedOn: r.blockedOn });

    it('keeps the same slots as the in-memory limiter for any sequence of reservations and answers', async () => {
      const store = await RedisStore.open(redis.server.url, { prefix: redis.server.prefix() });
      const memory = new MemoryLimiterStore();
      try {
        // Bursts and gaps, answers early and late, two chats so the per-key and endpoint windows interact.
        const keys = (i: number): KeyedWindows[] => [
          {
            key: 'message.create',
            windows: [
              { limit: 5, ms: 1_000 },
              { limit: 12, ms: 60_000 },
            ],
          },
          { key: `message.create:oc_${i % 2}`, windows: [{ limit: 3, ms: 1_000 }] },
        ];
        const steps: ([number, 'reserve'] | [number, 'settle', number])[] = [
          [0, 'reserve'],
          [0, 'reserve'],
          [0, 'reserve'],
          [10, 'reserve'],
          [10, 'reserve'],
          [40, 'settle', 0],
          [40, 'settle', 1],
          [50, 'reserve'],
          [60, 'reserve'],
          [60, 'settle', 3],
          [400, 'reserve'],
          [900, 'settle', 2],
          [900, 'settle', 4],
          [900, 'reserve'],
          [1_050, 'reserve'],
          [1_100, 'settle', 5],
          [1_100, 'settle', 6],
          [2_500, 'reserve'],
          [2_500, 'reserve'],
          [2_600, 'settle', 7],
          [2_600, 'reserve'],
          [4_000, 'reserve'],
          [4_000, 'reserve'],
          [4_100, 'settle', 9],
          [4_100, 'reserve'],
        ];
        let n = 0;
        let blocked = 0;
        for (const [t, op, which] of steps) {
          if (op === 'settle') {
            await store.limiter.settle(keys(which), `slot${which}`, T0 + t);
            await memory.settle(keys(which), `slot${which}`, T0 + t);
            continue;
          }
          const id = `slot${n}`;
          const expected = outcome(await memory.reserve(keys(n), T0 + t, id, 30_000));
          expect(outcome(await store.limiter.reserve(keys(n), T0 + t, id, 30_000))).toEqual(expected);
          if ('at' in expected) n++;
          else blocked++;
        }
        expect([n, blocked]).toEqual([14, 2]);
      } finally {
        await store.close();
      }
    });

    it('shares one budget between two connections (two instances)', async () => {
      const prefix = redis.server.prefix();
      const [a, b] = await Promise.all([
        RedisStore.open(redis.server.url, { prefix }),
        RedisStore.open(redis.server.url, { prefix }),
      ]);
      try {
        const first = await Promise.all(
          Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).limiter.reserve(windows(5, 1_000), T0, `s${i}`, 30_000)),
        );
        expect(first.filter((r) => 'at' in r)).toEqual(Array(5).fill({ at: T0 }));
        // The rest wait on calls the other instance may hold: they are told to look again shortly.
        expect(first.filter((r) => 'blockedOn' in r)).toEqual(
          Array(7).fill({ blockedOn: 'mail.draft.create', retryAt: T0 + 25 }),
        );
        const granted = first.flatMap((r, i) => ('at' in r ? [i] : []));
        await Promise.all(granted.map((i) => (i % 2 ? b : a).limiter.settle(windows(5, 1_000), `s${i}`, T0 + 100 + i)));
        const next = await Promise.all(
          Array.from({ length: 7 }, (_, i) =>
            (i % 2 ? a : b).limiter.reserve(windows(5, 1_000), T0 + 200, `t${i}`, 30_000),
          ),
        );
        expect(next.flatMap((r) => ('at' in r ? [r.at] : [])).sort()).toEqual(
          granted.map((i) => T0 + 1_100 + i).sort(),
        );
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    it('counts a slot left in flight by an instance that died as answered at its call bound', async () => {
      const store = await RedisStore.open(redis.server.url, { prefix: redis.server.prefix() });
      try {
        expect(await store.limiter.reserve(windows(1, 1_000), T0, 'dead', 2_000)).toEqual({ at: T0 });
        expect(await store.limiter.reserve(windows(1, 1_000), T0 + 1_500, 'x', 2_000)).toEqual({
          blockedOn: 'mail.draft.create',
          retryAt: T0 + 1_525,
        });
        expect(await store.limiter.reserve(windows(1, 1_000), T0 + 2_000, 'x', 2_000)).toEqual({ at: T0 + 3_000 });
      } finally {
        await store.close();
      }
    });
  });
});
