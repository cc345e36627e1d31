/** vitest hooks around a redis-server of the test file's own (redis-server.ts). */
import { afterAll, beforeAll } from 'vitest';
import { startRedis, type RedisServer } from './redis-server.js';

export type { RedisServer } from './redis-server.js';

/** One redis-server for the test file; `ctx.server` is set in beforeAll. */
export function useRedis(): { server: RedisServer } {
  const ctx = {} as { server: RedisServer };
  beforeAll(async () => {
    ctx.server = await startRedis();
  });
  afterAll(async () => {
    await ctx.server?.stop();
  });
  return ctx;
}
