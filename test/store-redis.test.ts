import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { MemoryLimiterStore, type KeyedWindows } from '../src/feishu/client/limits.js';
import { openStore } from '../src/store/index.js';
import { RedisStore } from '../src/store/redis.js';
import { describeStoreContract } from './store-contract.js';
import { useRedis } from './helpers/redis.js';

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
    const store = await openStore(parseConfig({ store: { kind: 'redis', url: redis.server.url } }, {}), '/nonexistent-data-dir');
    try {
      expect(store).toBeInstanceOf(RedisStore);
    } finally {
      await store.close();
    }
  });

  it('refuses a REDIS_URL that is not redis://, and a password in app.config.json, saying where it belongs', () => {
    expect(() => parseConfig({}, { REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(/env REDIS_URL: must be a URL such as redis:\/\//);
    expect(() => parseConfig({ store: { kind: 'redis', url: 'redis://:pw@127.0.0.1:6379' } }, {})).toThrow(/store.url: .*put a URL with a password in REDIS_URL/);
  });

  it('says which Redis it could not reach, without the password, and what to check', async () => {
    const url = `redis://:s3cret@127.0.0.1:${redis.server.port + 1}`;
    const failure = RedisStore.open(url).catch((e: Error) => e.message);
    const message = await failure;
    expect(message).toMatch(/cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1.*REDIS_URL/);
    expect(message).not.toContain('s3cret');
  });

  it('warns when Redis does not fsync every write, and not when it does', async () => {
    const warnings: string[] = [];
    const admin = new Redis(redis.server.url);
    const open = async () => (await RedisStore.open(redis.server.url, { prefix: redis.server.prefix(), warn: (m) => warnings.push(m) })).close();
    try {
      await open();
      expect(warnings).toEqual([]);
      await admin.config('SET', 'appendfsync', 'everysec');
      await open();
      expect(warnings).toEqual([expect.stringMatching(/appendfsync everysec.*set appendonly yes and appendfsync always/)]);
    } finally {
      await admin.config('SET', 'appendfsync', 'always');
      await admin.quit();
    }
  });

  describe('shared rate-limit budget (LimiterStore)', () => {
    const windows = (limit: number, ms: number): KeyedWindows[] => [{ key: 'mail.draft.create', windows: [{ limit, ms }] }];

    it('reserves the same slots as the in-memory limiter for any arrival pattern', async () => {
      const store = await RedisStore.open(redis.server.url, { prefix: redis.server.prefix() });
      const memory = new MemoryLimiterStore();
      try {
        // Arrivals in bursts and gaps; two keys so the per-key and endpoint windows interact.
        const arrivals = [0, 0, 0, 10, 10, 400, 900, 900, 900, 1_000, 1_050, 2_500, 2_500, 2_500, 2_600, 4_000, 4_000];
        for (const [i, t] of arrivals.entries()) {
          const keys: KeyedWindows[] = [
            { key: 'message.create', windows: [{ limit: 5, ms: 1_100 }, { limit: 12, ms: 63_000 }] },
            { key: `message.create:oc_${i % 2}`, windows: [{ limit: 3, ms: 1_100 }] },
          ];
          expect(await store.limiter.reserve(keys, 1_700_000_000_000 + t)).toBe((await memory.reserve(keys, 1_700_000_000_000 + t)));
        }
      } finally {
        await store.close();
      }
    });

    it('shares one budget between two connections (two instances)', async () => {
      const prefix = redis.server.prefix();
      const [a, b] = await Promise.all([RedisStore.open(redis.server.url, { prefix }), RedisStore.open(redis.server.url, { prefix })]);
      try {
        const now = 1_700_000_000_000;
        const slots = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).limiter.reserve(windows(5, 1_100), now)));
        expect(slots.sort((x, y) => x - y)).toEqual([...Array(5).fill(now), ...Array(5).fill(now + 1_100), now + 2_200, now + 2_200]);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  });
});
