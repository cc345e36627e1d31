/**
 * The scale-out Store: every port on one Redis (ioredis), so any number of bot instances share dedupe keys, the
 * inbox and its leases, key/value records, idempotency claims, the audit trail and the rate-limit budgets.
 *
 * Each read-check-write runs as one Lua script, which Redis executes atomically: dedupe + enqueue, lease (attempt
 * count and lease end), claims with holders and take-over, an index add with its trim and expiry, the limiter's
 * reservation. A sorted index is a sorted set (ZADD, score = the caller's score) beside a key holding its expiry. Time comes from the caller's
 * clock (as in SQLite) and expiry is a timestamp compared on read; Redis's own PEXPIRE only removes dead records.
 * A queue library (BullMQ) was weighed for the inbox, but its job locks are per-worker timers outside the
 * caller's clock and it has no dedupe window across finished jobs, which the InboxPort contract needs.
 *
 * Keys share one hash tag, `{prefix}:…`, so the scripts' keys sit in one slot should the Redis be a cluster.
 * Durability: an acknowledged event is only as safe as Redis's persistence; run it with `appendonly yes` and
 * `appendfsync always` (README "Scale-out"), which `open` checks and warns about.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { KeyedWindows, LimiterStore } from '../feishu/client/limits.js';
import type { AuditRecord, Claim, EnqueueLease, InboxItem, NewInboxItem, Store } from './store.js';
import { toItem } from './store.js';

export interface RedisStoreOptions {
  /** Epoch ms; injectable so TTLs and leases can be tested without waiting. */
  now?: () => number;
  /** Key namespace; instances of one bot share it, two bots on one Redis use two. */
  prefix?: string;
  /** Told when Redis is not configured to persist every write before answering. */
  warn?: (message: string) => void;
}

/** Sorted-set members order by score, then by member: a zero-padded sequence number keeps arrival order on ties. */
const SEQ_WIDTH = 16;

/** Lua: sets a key's time to live to at least `ms` (PEXPIRE … GT needs Redis 7). */
const EXTEND = `
local function extend(key, ms)
  if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, math.ceil(ms)) end
end`;

/** How soon a caller blocked on the shared budget looks again: another instance's answer is not announced. */
const SHARED_RETRY_MS = 25;

const SCRIPTS = {
  // KEYS: dedupe, item, ready, seq. ARGV: now, ttl, id, dedupeKey, type, payload, receivedAt, availableAt, leaseMs (0:
  // not leased). Returns 0 for a duplicate, 1 queued, 2 stored leased (attempts 1, as `lease` leaves an item).
  enqueue: {
    keys: 4,
    lua: `
local now, ttl, leaseMs = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[9])
if tonumber(redis.call('GET', KEYS[1]) or '0') > now then return 0 end
redis.call('SET', KEYS[1], now + ttl, 'PX', ttl)
local m = string.format('%0${SEQ_WIDTH}d', redis.call('INCR', KEYS[4])) .. ':' .. ARGV[3]
local at = math.max(now, tonumber(ARGV[8]))
local leased = leaseMs > 0 and at == now
redis.call('HSET', KEYS[2], 'm', m, 'dedupeKey', ARGV[4], 'type', ARGV[5], 'payload', ARGV[6], 'receivedAt', ARGV[7], 'attempts', leased and 1 or 0)
redis.call('ZADD', KEYS[3], leased and now + leaseMs or at, m)
return leased and 2 or 1`,
  },
  // KEYS: ready. ARGV: now, limit, leaseMs, item key prefix. Returns [id, dedupeKey, type, payload, receivedAt, attempts]…
  lease: {
    keys: 1,
    lua: `
local now = tonumber(ARGV[1])
local out = {}
for i, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))) do
  local id = string.sub(m, ${SEQ_WIDTH + 2})
  local k = ARGV[4] .. id
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), m)
  local attempts = redis.call('HINCRBY', k, 'attempts', 1)
  local f = redis.call('HMGET', k, 'dedupeKey', 'type', 'payload', 'receivedAt')
  out[i] = { id, f[1], f[2], f[3], f[4], attempts }
end
return out`,
  },
  // KEYS: item, ready. ARGV: available at. Only an item still queued moves (a finished one stays gone).
  available: {
    keys: 2,
    lua: `
local m = redis.call('HGET', KEYS[1], 'm')
if m then redis.call('ZADD', KEYS[2], 'XX', ARGV[1], m) end
return 0`,
  },
  // KEYS: item, ready.
  finish: {
    keys: 2,
    lua: `
local m = redis.call('HGET', KEYS[1], 'm')
if m then redis.call('ZREM', KEYS[2], m) end
redis.call('DEL', KEYS[1])
return 0`,
  },
  // KEYS: kv. ARGV: now, value, ttl
  setIfAbsent: {
    keys: 1,
    lua: `
local now, ttl = tonumber(ARGV[1]), tonumber(ARGV[3])
if tonumber(redis.call('HGET', KEYS[1], 'x') or '0') > now then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'x', now + ttl)
redis.call('PEXPIRE', KEYS[1], ttl)
return 1`,
  },
  // KEYS: index, its expiry. ARGV: now, ttl, member, score, keep
  indexAdd: {
    keys: 2,
    lua: `
local now, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
if tonumber(redis.call('GET', KEYS[2]) or '0') <= now then redis.call('DEL', KEYS[1]) end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[3])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -1 - tonumber(ARGV[5]))
redis.call('SET', KEYS[2], now + ttl, 'PX', ttl)
redis.call('PEXPIRE', KEYS[1], ttl)
return 0`,
  },
  // KEYS: claim. ARGV: now, ttl, lease, holder. Returns {state[, result]}.
  claim: {
    keys: 1,
    lua: `
local now, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
local r = redis.call('HMGET', KEYS[1], 'state', 'result', 'lease', 'exp')
local live = tonumber(r[4] or '0') > now
if live and r[1] == 'done' then return { 'done', r[2] } end
if live and tonumber(r[3]) > now then return { 'busy' } end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'state', 'running', 'holder', ARGV[4], 'lease', now + tonumber(ARGV[3]), 'ttl', ttl, 'exp', now + ttl)
redis.call('PEXPIRE', KEYS[1], ttl)
if live then return { 'resumed' } end
return { 'fresh' }`,
  },
  // KEYS: claim. ARGV: now, holder, lease
  renewClaim: {
    keys: 1,
    lua: `
local now = tonumber(ARGV[1])
local r = redis.call('HMGET', KEYS[1], 'state', 'holder', 'exp')
if r[1] ~= 'running' or r[2] ~= ARGV[2] or tonumber(r[3]) <= now then return 0 end
redis.call('HSET', KEYS[1], 'lease', now + tonumber(ARGV[3]))
return 1`,
  },
  // KEYS: claim. ARGV: now, holder, result. The TTL counts again from completion.
  complete: {
    keys: 1,
    lua: `
local r = redis.call('HMGET', KEYS[1], 'state', 'holder', 'ttl')
if r[1] ~= 'running' or r[2] ~= ARGV[2] then return 0 end
local ttl = tonumber(r[3])
redis.call('HSET', KEYS[1], 'state', 'done', 'result', ARGV[3], 'exp', tonumber(ARGV[1]) + ttl)
redis.call('HDEL', KEYS[1], 'holder')
redis.call('PEXPIRE', KEYS[1], ttl)
return 1`,
  },
  // KEYS: claim. ARGV: holder
  abandon: {
    keys: 1,
    lua: `
local r = redis.call('HMGET', KEYS[1], 'state', 'holder')
if r[1] == 'running' and r[2] == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0`,
  },
  /**
   * MemoryLimiterStore's computation (limits.ts), shared by every instance: per limited key a sorted set of settled
   * slots (by answer time) and one of slots in flight (by the time past which they count as answered: a call whose
   * instance died never settles). KEYS: answered and in-flight set per limited key. ARGV: now, id, bound, then per
   * key: window count, then limit and ms per window. Returns {at} or {0, blocking key's index, its earliest bound}.
   */
  reserve: {
    keys: -1,
    lua: `${EXTEND}
local now, id, bound = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
local n, idx, wins, longest = #KEYS / 2, 4, {}, {}
for i = 1, n do
  local count = tonumber(ARGV[idx]); idx = idx + 1
  wins[i], longest[i] = {}, 0
  for j = 1, count do
    local w = { tonumber(ARGV[idx]), tonumber(ARGV[idx + 1]) }; idx = idx + 2
    wins[i][j] = w
    if w[2] > longest[i] then longest[i] = w[2] end
  end
end
local at = now
for i = 1, n do
  local answered, inflight = KEYS[2 * i - 1], KEYS[2 * i]
  local lapsed = redis.call('ZRANGEBYSCORE', inflight, '-inf', now, 'WITHSCORES')
  for j = 1, #lapsed, 2 do redis.call('ZADD', answered, lapsed[j + 1], lapsed[j]) end
  if #lapsed > 0 then
    redis.call('ZREMRANGEBYSCORE', inflight, '-inf', now)
    extend(answered, longest[i] + 1000)
  end
  redis.call('ZREMRANGEBYSCORE', answered, '-inf', now - longest[i])
  local pending = redis.call('ZCARD', inflight)
  for _, w in ipairs(wins[i]) do
    local free = w[1] - pending
    if free <= 0 then return { 0, i, redis.call('ZRANGE', inflight, 0, 0, 'WITHSCORES')[2] } end
    local blocking = redis.call('ZREVRANGE', answered, free - 1, free - 1, 'WITHSCORES')[2]
    if blocking then at = math.max(at, tonumber(blocking) + w[2]) end
  end
end
for i = 1, n do
  redis.call('ZADD', KEYS[2 * i], at + bound, id)
  extend(KEYS[2 * i], at + bound - now + 1000)
end
return { tostring(at) }`,
  },
  /** KEYS: as for reserve. ARGV: id, answer time (the caller's now), then per key its longest window. */
  settle: {
    keys: -1,
    lua: `${EXTEND}
local id, t = ARGV[1], tonumber(ARGV[2])
for i = 1, #KEYS / 2 do
  local answered, inflight = KEYS[2 * i - 1], KEYS[2 * i]
  -- A slot already past its bound was moved to the answered set at that time: keep the later of the two.
  local lapsed = tonumber(redis.call('ZSCORE', answered, id) or '0')
  if redis.call('ZREM', inflight, id) == 1 or lapsed > 0 then
    redis.call('ZADD', answered, math.max(t, lapsed), id)
    extend(answered, math.max(t, lapsed) - t + tonumber(ARGV[2 + i]) + 1000)
  end
end
return 0`,
  },
} as const;

type ScriptName = keyof typeof SCRIPTS;
type Scripted = { [K in ScriptName]: (...args: (string | number)[]) => Promise<unknown> };

/** The URL as safe to print: without its password. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'redis://(unparseable URL)';
  }
}

export class RedisStore implements Store {
  readonly kind = 'redis';
  private readonly now: () => number;
  private readonly k;
  private closed = false;
  /** The shared rate-limit budgets (`RateLimiter`'s store), on the same connection. */
  readonly limiter: LimiterStore;

  private constructor(
    private readonly redis: Redis & Scripted,
    opts: RedisStoreOptions,
  ) {
    this.now = opts.now ?? Date.now;
    const p = `{${opts.prefix ?? 'feishu-ops-bot'}}:`;
    this.k = {
      dedupe: (key: string) => `${p}dedupe:${key}`,
      itemPrefix: `${p}item:`,
      item: (id: string) => `${p}item:${id}`,
      ready: `${p}ready`,
      seq: `${p}seq`,
      kv: (key: string) => `${p}kv:${key}`,
      index: (name: string) => `${p}index:${name}`,
      indexExpiry: (name: string) => `${p}index-expiry:${name}`,
      claim: (key: string) => `${p}claim:${key}`,
      audit: `${p}audit`,
      limit: (key: string) => `${p}limit:${key}`,
    };
    const limitKeys = (keys: KeyedWindows[]) =>
      keys.flatMap(({ key }) => [this.k.limit(key), this.k.limit(`${key}#inflight`)]);
    this.limiter = {
      reserve: async (keys, now, id, boundMs) => {
        const args = keys.flatMap(({ windows }) => [windows.length, ...windows.flatMap((w) => [w.limit, w.ms])]);
        const r = (await this.redis.reserve(2 * keys.length, ...limitKeys(keys), now, id, boundMs, ...args)) as
          [string] | [0, number, string];
        if (r.length === 1) return { at: Number(r[0]) };
        return { blockedOn: keys[r[1] - 1]!.key, retryAt: Math.min(Number(r[2]), now + SHARED_RETRY_MS) };
      },
      settle: async (keys, id, at) => {
        await this.redis.settle(
          2 * keys.length,
          ...limitKeys(keys),
          id,
          at,
          ...keys.map(({ windows }) => Math.max(...windows.map((w) => w.ms))),
        );
      },
    };
  }

  /** Connects (failing with the redacted URL and what to check) and loads the scripts. */
  static async open(url: string, opts: RedisStoreOptions = {}): Promise<RedisStore> {
    // Loaded here, not at import: a bot on SQLite never loads the Redis client.
    const { Redis } = await import('ioredis');
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
    // A lost connection reconnects by itself; the commands in between fail and their callers decide.
    redis.on('error', () => {});
    try {
      await redis.connect();
    } catch (e) {
      redis.disconnect();
      throw new Error(
        `cannot reach Redis at ${redactRedisUrl(url)}: ${(e as Error).message} (check REDIS_URL and that redis-server is running)`,
        { cause: e },
      );
    }
    for (const [name, s] of Object.entries(SCRIPTS))
      redis.defineCommand(name, { numberOfKeys: s.keys === -1 ? undefined : s.keys, lua: s.lua });
    if (opts.warn) await checkPersistence(redis, opts.warn);
    return new RedisStore(redis as Redis & Scripted, opts);
  }

  async enqueue(item: NewInboxItem, dedupeTtlMs: number, lease?: EnqueueLease): Promise<'accepted' | 'duplicate'> {
    const k = this.k;
    const id = randomUUID();
    const added = await this.redis.enqueue(
      k.dedupe(item.dedupeKey),
      k.item(id),
      k.ready,
      k.seq,
      this.now(),
      Math.max(1, Math.round(dedupeTtlMs)),
      id,
      item.dedupeKey,
      item.type,
      item.payload,
      item.receivedAt,
      item.availableAt ?? 0,
      lease?.leaseMs ?? 0,
    );
    // Redis answers once the write is persisted (appendfsync always): the worker starts as the caller is answered.
    if (added === 2) lease?.started({ ...toItem(item), id, attempts: 1 });
    return added === 0 ? 'duplicate' : 'accepted';
  }

  async lease(limit: number, leaseMs: number): Promise<InboxItem[]> {
    const rows = (await this.redis.lease(this.k.ready, this.now(), limit, leaseMs, this.k.itemPrefix)) as [
      string,
      string,
      string,
      string,
      string,
      number,
    ][];
    return rows.map(([id, dedupeKey, type, payload, receivedAt, attempts]) => ({
      id,
      dedupeKey,
      type,
      payload,
      receivedAt: Number(receivedAt),
      attempts,
    }));
  }

  async renew(id: string, leaseMs: number): Promise<void> {
    await this.redis.available(this.k.item(id), this.k.ready, this.now() + leaseMs);
  }

  async finish(id: string): Promise<void> {
    await this.redis.finish(this.k.item(id), this.k.ready);
  }

  async release(id: string, retryAt: number): Promise<void> {
    await this.redis.available(this.k.item(id), this.k.ready, retryAt);
  }

  async pendingCount(): Promise<number> {
    return this.redis.zcard(this.k.ready);
  }

  async get(key: string): Promise<string | undefined> {
    const [value, expiresAt] = await this.redis.hmget(this.k.kv(key), 'v', 'x');
    return value !== null && Number(expiresAt) > this.now() ? value : undefined;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    const k = this.k.kv(key);
    await this.redis
      .multi()
      .hset(k, 'v', value, 'x', this.now() + ttlMs)
      .pexpire(k, Math.max(1, Math.round(ttlMs)))
      .exec();
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.setIfAbsent(this.k.kv(key), this.now(), value, Math.max(1, Math.round(ttlMs)))) === 1;
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(this.k.kv(key));
  }

  async indexAdd(index: string, member: string, score: number, o: { ttlMs: number; keep: number }): Promise<void> {
    await this.redis.indexAdd(
      this.k.index(index),
      this.k.indexExpiry(index),
      this.now(),
      Math.max(1, Math.round(o.ttlMs)),
      member,
      score,
      o.keep,
    );
  }

  async indexList(index: string, limit: number): Promise<string[]> {
    const replies = await this.redis
      .multi()
      .get(this.k.indexExpiry(index))
      .zrevrange(this.k.index(index), 0, limit - 1)
      .exec();
    const [expiresAt, members] = (replies ?? []).map(([err, value]) => {
      if (err) throw err;
      return value;
    }) as [string | null, string[]];
    return Number(expiresAt) > this.now() ? members : [];
  }

  async claim(key: string, o: { ttlMs: number; leaseMs: number }): Promise<Claim> {
    const holder = randomUUID();
    const [state, result] = (await this.redis.claim(
      this.k.claim(key),
      this.now(),
      Math.max(1, Math.round(o.ttlMs)),
      o.leaseMs,
      holder,
    )) as [string, string?];
    if (state === 'done') return { state, result: result ?? '' };
    if (state === 'busy') return { state };
    return { state: state as 'fresh' | 'resumed', holder };
  }

  async renewClaim(key: string, holder: string, leaseMs: number): Promise<boolean> {
    return (await this.redis.renewClaim(this.k.claim(key), this.now(), holder, leaseMs)) === 1;
  }

  async complete(key: string, holder: string, result: string): Promise<void> {
    await this.redis.complete(this.k.claim(key), this.now(), holder, result);
  }

  async abandon(key: string, holder: string): Promise<void> {
    await this.redis.abandon(this.k.claim(key), holder);
  }

  async audit(r: AuditRecord): Promise<void> {
    await this.redis.lpush(this.k.audit, JSON.stringify(r));
  }

  async auditLog(limit = 100): Promise<AuditRecord[]> {
    return (await this.redis.lrange(this.k.audit, 0, limit - 1)).map((line) => JSON.parse(line) as AuditRecord);
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('the Redis store is closed');
    await this.redis.ping();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** Managed Redis often forbids CONFIG: then nothing is known and nothing is said. */
async function checkPersistence(redis: Redis, warn: (message: string) => void): Promise<void> {
  try {
    const [, aof] = (await redis.config('GET', 'appendonly')) as [string, string];
    const [, fsync] = (await redis.config('GET', 'appendfsync')) as [string, string];
    if (aof !== 'yes' || fsync !== 'always') {
      warn(
        `Redis runs with appendonly ${aof}, appendfsync ${fsync}: an acknowledged event can be lost if Redis crashes; set appendonly yes and appendfsync always`,
      );
    }
  } catch {
    // CONFIG not allowed
  }
}
