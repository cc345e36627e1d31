/**
 * Client-side rate limits: stay under Feishu's per-endpoint quotas instead of collecting 429s.
 *
 * Feishu counts a call in its windows when it receives it, which the client never sees; it only knows that this
 * happened between sending the call and getting its answer. So a slot counts from its call's answer: a call sent at
 * least one window after an earlier call's answer reaches the server at least one window after that call did,
 * whatever either's latency. The cost is one round trip per window. (Padding windows by a margin, or by the round
 * trips seen so far, guesses the next call's latency: one slower call breaks the guess and meets a 429.)
 * Until it answers, a call counts in every window (its receive time is unknown), so when a window's whole limit is in
 * flight the next caller waits for one of those answers before its own time can be known. Waiting callers are served
 * in arrival order: a burst is spread out, never refused.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { keyspace } from '../../store/keyspace.js';
import { InProcessLock } from '../../store/lock.js';
import type { KvPort } from '../../store/store.js';
import { DEFAULT_LIMITS, ENDPOINTS, type Endpoint, type EndpointLimit } from '../endpoints.js';

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
 * A slot: send at `at`, then `settle` it when the call answers. Or none yet: `blockedOn` has its whole limit in
 * flight; ask again once one of them settles (here, or by `retryAt` when another process may settle it).
 */
export type Reservation = { at: number } | { blockedOn: string; retryAt?: number };

/**
 * Where slots live. In memory for one process; a shared store (e.g. Redis with a Lua script doing the same
 * computation) lets several instances share one quota.
 */
export interface LimiterStore {
  /**
   * Takes slot `id` on every key at the earliest time ≥ now they all allow. A slot another process took and never
   * settled (it died) counts as answered at `at + boundMs`, when its call can no longer be running.
   */
  reserve(keys: KeyedWindows[], now: number, id: string, boundMs: number): Promise<Reservation>;
  /** The call in slot `id` answered (or failed) at `at`: from then on its slot counts from `at`. */
  settle(keys: KeyedWindows[], id: string, at: number): Promise<void>;
}

interface KeySlots {
  /** Answer times of settled calls, ascending. */
  answered: number[];
  /** This process's calls not answered yet: id → when they count as answered should it die (see `persisted`). */
  pending: Map<string, number>;
}

const longestOf = (windows: Window[]): number => Math.max(...windows.map((w) => w.ms));

export class MemoryLimiterStore implements LimiterStore {
  private readonly slots = new Map<string, KeySlots>();

  async reserve(keys: KeyedWindows[], now: number, id: string, boundMs: number): Promise<Reservation> {
    let at = now;
    for (const { key, windows } of keys) {
      const { answered, pending } = this.prune(key, now, windows);
      for (const w of windows) {
        // In-flight calls take their place in every window; the rest must be answered at least `ms` before `at`.
        const free = w.limit - pending.size;
        if (free <= 0) return { blockedOn: key };
        const blocking = answered[answered.length - free];
        if (blocking !== undefined) at = Math.max(at, blocking + w.ms);
      }
    }
    for (const { key } of keys) this.of(key).pending.set(id, at + boundMs);
    return { at };
  }

  async settle(keys: KeyedWindows[], id: string, at: number): Promise<void> {
    for (const { key } of keys) {
      const slots = this.slots.get(key);
      if (!slots?.pending.delete(id)) continue;
      insertSorted(slots.answered, at);
    }
  }

  /** What a restarted process must still respect: answer times, and for calls in flight the time they count as answered. */
  persisted(key: string): number[] {
    const slots = this.slots.get(key);
    return slots ? [...slots.answered, ...slots.pending.values()] : [];
  }

  /** Adds the slots an earlier process left (from `persisted`): its calls answered by those times. */
  seed(key: string, times: readonly number[]): void {
    const { answered } = this.of(key);
    for (const t of times) insertSorted(answered, t);
  }

  private of(key: string): KeySlots {
    let slots = this.slots.get(key);
    if (!slots) this.slots.set(key, (slots = { answered: [], pending: new Map() }));
    return slots;
  }

  /** Drops answers too old for any window that starts now. */
  private prune(key: string, now: number, windows: Window[]): KeySlots {
    const slots = this.of(key);
    const firstLive = slots.answered.findIndex((t) => t > now - longestOf(windows));
    slots.answered.splice(0, firstLive === -1 ? slots.answered.length : firstLive);
    if (!slots.answered.length && !slots.pending.size) this.slots.delete(key);
    return slots;
  }
}

/** Slot times per limiter key (see MemoryLimiterStore.persisted); a record outlives its last slot's window only (TTL per write). */
const limiterSlots = keyspace('limiter', z.array(z.number()), 61_000);

/**
 * Slots kept in the Store, so a restarted bot knows what the last minute already spent (Feishu's windows do not
 * restart with us: the first minute after a crash would otherwise meet 230020 / 99991400). Reserving stays in
 * memory (one process owns the quota); each key is loaded on first use and written after every change. A reservation
 * is written behind the call (on the next turn of the event loop), not waited for: a call waiting a disk flush for its slot's record cost a reply a few
 * milliseconds (and queued callers one flush each). A crash can lose the record of the calls of its last instant
 * only; those are written, with their answers, by the next settle.
 */
export class KvLimiterStore implements LimiterStore {
  private readonly memory = new MemoryLimiterStore();
  private readonly loaded = new Map<string, Promise<void>>();

  constructor(private readonly kv: KvPort) {}

  async reserve(keys: KeyedWindows[], now: number, id: string, boundMs: number): Promise<Reservation> {
    await Promise.all(keys.map(({ key }) => this.load(key)));
    const r = await this.memory.reserve(keys, now, id, boundMs);
    // Unrecorded, a slot is lost only to a restart within its window, as if the crash had come a moment sooner. Written
    // on the next turn of the event loop, so the call it admits is on its way first.
    if ('at' in r) setImmediate(() => this.save(keys, now).catch(() => undefined));
    return r;
  }

  async settle(keys: KeyedWindows[], id: string, at: number): Promise<void> {
    await this.memory.settle(keys, id, at);
    await this.save(keys, at);
  }

  private save(keys: KeyedWindows[], now: number): Promise<unknown> {
    return Promise.all(
      keys.map(({ key, windows }) => {
        const times = this.memory.persisted(key);
        return limiterSlots.set(this.kv, key, times, Math.max(1, Math.max(now, ...times) - now + longestOf(windows)));
      }),
    );
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

function insertSorted(list: number[], value: number): void {
  let i = list.length;
  while (i > 0 && (list[i - 1] ?? 0) > value) i--;
  list.splice(i, 0, value);
}

export { DEFAULT_LIMITS } from '../endpoints.js';

const windowsOf = (l: { perSecond?: number; perMinute?: number }): Window[] => [
  ...(l.perSecond ? [{ limit: l.perSecond, ms: 1000 }] : []),
  ...(l.perMinute ? [{ limit: l.perMinute, ms: 60_000 }] : []),
];

export interface RateLimiterOptions {
  /** `rateLimits` from app.config.json: replaces the endpoint-wide quota of the named endpoints. */
  overrides?: Readonly<Record<string, Pick<EndpointLimit, 'perSecond' | 'perMinute'>>>;
  store?: LimiterStore;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Wraps each wait (the Feishu client gives its inbox worker slot back meanwhile: src/slots.ts). */
  park?: <T>(wait: () => Promise<T>) => Promise<T>;
  /**
   * The longest a call can take from its slot to its answer (default 30 s). Only a call that died with its process
   * holds its slot that long; then it counts as answered.
   */
  callBoundMs?: number;
  /** Told how long each acquire waited (0 when a slot was free), for the limiter-wait metric. */
  onWait?: (endpoint: Endpoint, ms: number) => void;
}

export const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class RateLimiter {
  private readonly limits: Partial<Record<Endpoint, EndpointLimit>>;
  private readonly store: LimiterStore;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly park: NonNullable<RateLimiterOptions['park']>;
  private readonly callBoundMs: number;
  private readonly onWait: RateLimiterOptions['onWait'];
  /** Callers waiting for a slot on a key ask the store one at a time, in arrival order. */
  private readonly turns = new InProcessLock();
  private readonly waiting = new Map<string, number>();
  /** Resolved when a slot on the key settles. */
  private readonly freed = new Map<string, { promise: Promise<void>; resolve: () => void }>();

  constructor(o: RateLimiterOptions = {}) {
    const unknown = Object.keys(o.overrides ?? {}).filter((k) => !(ENDPOINTS as readonly string[]).includes(k));
    if (unknown.length) {
      throw new Error(
        `app.config.json rateLimits: unknown endpoint ${unknown.map((k) => `"${k}"`).join(', ')}; use one of ${ENDPOINTS.join(', ')}`,
      );
    }
    this.limits = { ...DEFAULT_LIMITS };
    for (const [name, limit] of Object.entries(o.overrides ?? {})) {
      const endpoint = name as Endpoint;
      this.limits[endpoint] = {
        perKeyPerSecond: this.limits[endpoint]?.perKeyPerSecond,
        perKeyScope: this.limits[endpoint]?.perKeyScope,
        ...limit,
      };
    }
    this.store = o.store ?? new MemoryLimiterStore();
    this.now = o.now ?? Date.now;
    this.sleep = o.sleep ?? realSleep;
    this.park = o.park ?? ((wait) => wait());
    this.callBoundMs = o.callBoundMs ?? 30_000;
    this.onWait = o.onWait;
  }

  /**
   * Waits until a call to `endpoint` (for target `key`, if given) fits every quota. Call the returned function as
   * soon as that call has answered or failed: its slot counts from then.
   */
  async acquire(endpoint: Endpoint, key?: string): Promise<() => Promise<void>> {
    const limit = this.limits[endpoint];
    const keys: KeyedWindows[] = limit ? [{ key: endpoint, windows: windowsOf(limit) }] : [];
    if (key && limit?.perKeyPerSecond)
      keys.push({
        key: `${limit.perKeyScope ?? endpoint}:${key}`,
        windows: windowsOf({ perSecond: limit.perKeyPerSecond }),
      });
    const live = keys.filter((k) => k.windows.length);
    if (!live.length) return async () => {};
    const id = randomUUID();
    const start = this.now();
    // Behind the callers already waiting on one of these keys.
    let blockedOn = live.find((k) => this.waiting.has(k.key))?.key;
    for (;;) {
      const on = blockedOn;
      const r =
        on === undefined
          ? await this.store.reserve(live, start, id, this.callBoundMs)
          : await this.park(() => this.waitOn(on, live, id));
      if ('blockedOn' in r) {
        blockedOn = r.blockedOn;
        continue;
      }
      const now = this.now();
      this.onWait?.(endpoint, Math.max(0, r.at - start));
      if (r.at > now) await this.park(() => this.sleep(r.at - now));
      return () => this.settle(live, id, Math.max(r.at, this.now()));
    }
  }

  /** Asks again whenever a slot on `key` settles, as the only caller doing so, until `key` is not what blocks. */
  private async waitOn(key: string, keys: KeyedWindows[], id: string): Promise<Reservation> {
    this.waiting.set(key, (this.waiting.get(key) ?? 0) + 1);
    try {
      return await this.turns.run(key, async () => {
        for (;;) {
          // Taken before asking, so a slot settled while the store answers still wakes this caller.
          const freed = this.freedSignal(key);
          const r = await this.store.reserve(keys, this.now(), id, this.callBoundMs);
          if (!('blockedOn' in r) || r.blockedOn !== key) return r;
          await (r.retryAt === undefined
            ? freed
            : Promise.race([freed, this.sleep(Math.max(0, r.retryAt - this.now()))]));
        }
      });
    } finally {
      const left = (this.waiting.get(key) ?? 1) - 1;
      if (left) this.waiting.set(key, left);
      else this.waiting.delete(key);
    }
  }

  private async settle(keys: KeyedWindows[], id: string, at: number): Promise<void> {
    try {
      await this.store.settle(keys, id, at);
    } catch {
      // Unrecorded, the slot stays in flight until callBoundMs has passed: it frees later, never sooner. The call's
      // own outcome stands.
    }
    for (const { key } of keys) {
      const f = this.freed.get(key);
      this.freed.delete(key);
      f?.resolve();
    }
  }

  private freedSignal(key: string): Promise<void> {
    let f = this.freed.get(key);
    if (!f) {
      let resolve = () => {};
      const promise = new Promise<void>((r) => (resolve = r));
      this.freed.set(key, (f = { promise, resolve }));
    }
    return f.promise;
  }
}
