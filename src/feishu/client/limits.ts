/**
 * Client-side rate limits: stay under Feishu's per-endpoint quotas instead of collecting 429s.
 * Sliding windows with reservations: a caller reserves the earliest slot every window allows and sleeps
 * until then, so a burst is spread out in arrival order rather than refused.
 */
import { z } from 'zod';
import { keyspace } from '../../store/keyspace.js';
import type { KvPort } from '../../store/store.js';
import { ENDPOINTS, type Endpoint, type EndpointLimit } from '../endpoints.js';

export interface Window {
  limit: number;
  ms: number;
}

/** A limit on one key, e.g. `message.create` or `message.create:oc_123`. */
export interface KeyedWindows {
  key: string;
  windows: Window[];
}

/**
 * Where reservations live. In memory for one process; a shared store (e.g. Redis with a Lua script doing the
 * same computation) lets several instances share one quota.
 */
export interface LimiterStore {
  /** Reserves one slot on every key at the earliest time ≥ now they all allow; returns that time (ms). */
  reserve(keys: KeyedWindows[], now: number): Promise<number>;
}

export class MemoryLimiterStore implements LimiterStore {
  /** Reserved slot times per key, ascending. */
  private readonly slots = new Map<string, number[]>();

  async reserve(keys: KeyedWindows[], now: number): Promise<number> {
    let at = now;
    // Raising `at` for one window can only push it further for the others, so iterate to a fixed point.
    for (let moved = true; moved; ) {
      moved = false;
      for (const { key, windows } of keys) {
        const slots = this.prune(key, now, windows);
        for (const w of windows) {
          const earliest = earliestFor(slots, w, at);
          if (earliest > at) {
            at = earliest;
            moved = true;
          }
        }
      }
    }
    for (const { key } of keys) {
      const slots = this.slots.get(key) ?? [];
      insertSorted(slots, at);
      this.slots.set(key, slots);
    }
    return at;
  }

  /** The reserved slot times of `key` (a copy), for persisting them. */
  slotsOf(key: string): number[] {
    return [...(this.slots.get(key) ?? [])];
  }

  /** Adds slots reserved by an earlier process (loaded from the Store). */
  seed(key: string, times: readonly number[]): void {
    const slots = this.slots.get(key) ?? [];
    for (const t of times) insertSorted(slots, t);
    if (slots.length) this.slots.set(key, slots);
  }

  private prune(key: string, now: number, windows: Window[]): number[] {
    const slots = this.slots.get(key) ?? [];
    const longest = Math.max(...windows.map((w) => w.ms));
    const firstLive = slots.findIndex((t) => t > now - longest);
    if (firstLive === -1) slots.length = 0;
    else if (firstLive > 0) slots.splice(0, firstLive);
    if (!slots.length) this.slots.delete(key);
    return slots;
  }
}

/** Reserved slot times per limiter key; a record outlives its longest window by nothing (TTL set per write). */
const limiterSlots = keyspace('limiter', z.array(z.number()), 61_000);

/**
 * Reservations kept in the Store, so a restarted bot knows what the last minute already spent (Feishu's windows do
 * not restart with us: the first minute after a crash would otherwise meet 230020 / 99991400). Reserving stays in
 * memory (one process owns the quota); each key is loaded on first use and written after every reservation.
 */
export class KvLimiterStore implements LimiterStore {
  private readonly memory = new MemoryLimiterStore();
  private readonly loaded = new Map<string, Promise<void>>();

  constructor(private readonly kv: KvPort) {}

  async reserve(keys: KeyedWindows[], now: number): Promise<number> {
    await Promise.all(keys.map(({ key }) => this.load(key)));
    const at = await this.memory.reserve(keys, now);
    await Promise.all(keys.map(({ key, windows }) => {
      const longest = Math.max(...windows.map((w) => w.ms));
      return limiterSlots.set(this.kv, key, this.memory.slotsOf(key), Math.max(1, at - now + longest));
    }));
    return at;
  }

  private load(key: string): Promise<void> {
    let p = this.loaded.get(key);
    if (!p) {
      p = limiterSlots.get(this.kv, key).then((times) => this.memory.seed(key, times ?? []));
      this.loaded.set(key, p);
    }
    return p;
  }
}

/** Earliest time ≥ at where fewer than `limit` slots fall in (t − ms, t + ms): room on both sides of t. */
function earliestFor(slots: number[], w: Window, at: number): number {
  let t = at;
  for (;;) {
    const inWindow = slots.filter((s) => s > t - w.ms && s < t + w.ms);
    if (inWindow.length < w.limit) return t;
    // Sliding the window past the oldest slot that is still in it frees one place.
    const blocking = inWindow[inWindow.length - w.limit];
    if (blocking === undefined) return t;
    t = Math.max(t + 1, blocking + w.ms);
  }
}

function insertSorted(list: number[], value: number): void {
  let i = list.length;
  while (i > 0 && (list[i - 1] ?? 0) > value) i--;
  list.splice(i, 0, value);
}

/** Documented quotas (API pages; platform.md §3.4, §4.3–4.7). Endpoints not listed have no documented quota. */
export const DEFAULT_LIMITS: Partial<Record<Endpoint, EndpointLimit>> = {
  'chat.create': { perSecond: 50, perMinute: 1000 },
  'chat.members.create': { perSecond: 50, perMinute: 1000 },
  'chat.get': { perSecond: 50, perMinute: 1000 },
  'chat.members.list': { perSecond: 50, perMinute: 1000 },
  'message.create': { perSecond: 50, perMinute: 1000, perKeyPerSecond: 5, perKeyScope: 'chat-messages' },
  'message.reply': { perSecond: 50, perMinute: 1000, perKeyPerSecond: 5, perKeyScope: 'chat-messages' },
  'message.patch': { perSecond: 50, perMinute: 1000, perKeyPerSecond: 5 },
  'user.get': { perSecond: 50, perMinute: 1000 },
  'user.batchGetId': { perSecond: 50, perMinute: 1000 },
  'mailgroup.create': { perSecond: 100 },
  'mailgroup.members.batchCreate': { perSecond: 20 },
  'mail.contact.create': { perMinute: 20 },
  'mail.draft.create': { perSecond: 5 },
  'mail.draft.send': { perMinute: 20 },
  'mail.message.send': { perMinute: 100 },
};

/**
 * Windows are a little longer than Feishu's (5%, at least 100 ms): calls reach the server with varying
 * latency, so two calls released exactly one window apart could land inside the same server-side window.
 */
const padded = (ms: number): number => ms + Math.max(100, ms * 0.05);
const windowsOf = (l: { perSecond?: number; perMinute?: number }): Window[] => [
  ...(l.perSecond ? [{ limit: l.perSecond, ms: padded(1000) }] : []),
  ...(l.perMinute ? [{ limit: l.perMinute, ms: padded(60_000) }] : []),
];

export interface RateLimiterOptions {
  /** `rateLimits` from app.config.json: replaces the endpoint-wide quota of the named endpoints. */
  overrides?: Readonly<Record<string, Pick<EndpointLimit, 'perSecond' | 'perMinute'>>>;
  store?: LimiterStore;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Told how long each acquire waited (0 when a slot was free), for the limiter-wait metric. */
  onWait?: (endpoint: Endpoint, ms: number) => void;
}

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class RateLimiter {
  private readonly limits: Partial<Record<Endpoint, EndpointLimit>>;
  private readonly store: LimiterStore;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly onWait: RateLimiterOptions['onWait'];

  constructor(o: RateLimiterOptions = {}) {
    const unknown = Object.keys(o.overrides ?? {}).filter((k) => !(ENDPOINTS as readonly string[]).includes(k));
    if (unknown.length) {
      throw new Error(`app.config.json rateLimits: unknown endpoint ${unknown.map((k) => `"${k}"`).join(', ')}; use one of ${ENDPOINTS.join(', ')}`);
    }
    this.limits = { ...DEFAULT_LIMITS };
    for (const [name, limit] of Object.entries(o.overrides ?? {})) {
      const endpoint = name as Endpoint;
      this.limits[endpoint] = { perKeyPerSecond: this.limits[endpoint]?.perKeyPerSecond, perKeyScope: this.limits[endpoint]?.perKeyScope, ...limit };
    }
    this.store = o.store ?? new MemoryLimiterStore();
    this.now = o.now ?? Date.now;
    this.sleep = o.sleep ?? realSleep;
    this.onWait = o.onWait;
  }

  /** Waits until a call to `endpoint` (for target `key`, if given) fits every quota. */
  async acquire(endpoint: Endpoint, key?: string): Promise<void> {
    const limit = this.limits[endpoint];
    if (!limit) return;
    const keys: KeyedWindows[] = [{ key: endpoint, windows: windowsOf(limit) }];
    if (key && limit.perKeyPerSecond) keys.push({ key: `${limit.perKeyScope ?? endpoint}:${key}`, windows: windowsOf({ perSecond: limit.perKeyPerSecond }) });
    const live = keys.filter((k) => k.windows.length);
    if (!live.length) return;
    const now = this.now();
    const at = await this.store.reserve(live, now);
    this.onWait?.(endpoint, Math.max(0, at - now));
    if (at > now) await this.sleep(at - now);
  }
}

/** Runs tasks one at a time per key (e.g. per mailbox: Feishu locks mail sending per user). */
export class KeyedSerializer {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
