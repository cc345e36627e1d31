/**
 * A real bot intake for tests: createServer on 127.0.0.1 with a real SQLite file, a recording DeliveryHandler,
 * an injectable clock and captured log lines. Restart = close server and store, start again on the same dir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, vi } from 'vitest';
import { parseConfig } from '../../src/config.js';
import type { CardAnswer, Delivery, DeliveryHandler } from '../../src/delivery.js';
import { createMetrics, type Metrics } from '../../src/metrics.js';
import { createServer, type BotServer, type ServerDeps } from '../../src/server.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { ENCRYPT_KEY, eventPush, messageEvent, VERIFICATION_TOKEN, type Push } from './feishu-push.js';

export { ENCRYPT_KEY, VERIFICATION_TOKEN };

/** Waits for an assertion to hold; generous because the machine is shared, never a speed check. */
export const eventually = <T>(check: () => T | Promise<T>): Promise<T> =>
  vi.waitFor(check, { timeout: 10_000, interval: 10 });

/** Records every delivery; behaviour is swappable per test. */
export class RecordingHandler implements DeliveryHandler {
  readonly events: Delivery[] = [];
  readonly cards: Delivery[] = [];
  onEvent: (d: Delivery) => Promise<void> = async () => {};
  onCard: (d: Delivery) => Promise<CardAnswer> = async () => ({ response: {} });

  async handleEvent(d: Delivery): Promise<void> {
    this.events.push(d);
    await this.onEvent(d);
  }

  async handleCard(d: Delivery): Promise<CardAnswer> {
    this.cards.push(d);
    return this.onCard(d);
  }
}

export interface Clock {
  now: () => number;
  advance(ms: number): void;
}

export function fakeClock(start = 1_700_000_000_000): Clock {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

export interface BotOptions {
  dir: string;
  handler: RecordingHandler;
  clock: Clock;
  /** Unset secrets with `undefined`. */
  env?: Record<string, string | undefined>;
  app?: Record<string, unknown>;
  inbox?: ServerDeps['inbox'];
  drainMs?: number;
  /** Listen but leave the workers stopped, as if the process died right after acknowledging. */
  workersStopped?: boolean;
}

export interface RunningBot {
  url: string;
  server: BotServer;
  store: SqliteStore;
  metrics: Metrics;
  logs: string[];
  post(path: string, push: Push): Promise<Response>;
  /** Graceful: shutdown then close the store. */
  stop(): Promise<void>;
  /** Like a kill: no drain, the store closed under running handlers. */
  kill(): Promise<void>;
}

export async function startBot(o: BotOptions): Promise<RunningBot> {
  const env = { FEISHU_ENCRYPT_KEY: ENCRYPT_KEY, FEISHU_VERIFICATION_TOKEN: VERIFICATION_TOKEN, ...o.env };
  const config = parseConfig({ ...o.app }, Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined)));
  const logs: string[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk, _enc, cb) {
        logs.push(String(chunk));
        cb();
      },
    }),
  );
  const store = new SqliteStore(join(o.dir, 'bot.sqlite'), { now: o.clock.now });
  const metrics = createMetrics();
  const server = createServer({
    config,
    store,
    handler: o.handler,
    logger,
    metrics,
    now: o.clock.now,
    drainMs: o.drainMs ?? 2_000,
    inbox: { pollMs: 20, retryDelayMs: () => 0, ...o.inbox },
  });
  const { url } = await server.listen(0, '127.0.0.1');
  if (o.workersStopped) await server.inbox.stop({ drainMs: 0 });
  return {
    url,
    server,
    store,
    metrics,
    logs,
    post: (path, push) => fetch(url + path, { method: 'POST', headers: push.headers, body: push.body }),
    stop: async () => {
      await server.shutdown();
      await store.close();
    },
    kill: async () => {
      await server.inbox.stop({ drainMs: 0 });
      await store.close();
      await server.shutdown();
    },
  };
}

export interface BotsContext {
  /** A fresh temporary directory per test. */
  dir: string;
  /** A fresh fake clock per test. */
  clock: Clock;
  /** Bots still to stop after the test; a test that stops or kills one itself empties it (`bots.length = 0`). */
  bots: RunningBot[];
  /** Starts a bot on this test's dir and clock and stops it after the test. */
  start(handler: RecordingHandler, o?: Partial<BotOptions>): Promise<RunningBot>;
  /** A signed, encrypted push of a message event for message om_<n>, stamped with the test's clock. */
  push(n: number, eventId?: string): Push;
}

/**
 * Registers beforeEach/afterEach for tests that start bots: each test gets a new temp dir (named after `prefix`)
 * and fake clock; afterwards its bots are stopped and the dir removed.
 */
export function useBots(prefix: string): BotsContext {
  const ctx: BotsContext = {
    dir: '',
    clock: fakeClock(),
    bots: [],
    start: async (handler, o = {}) => {
      const bot = await startBot({ dir: ctx.dir, handler, clock: ctx.clock, ...o });
      ctx.bots.push(bot);
      return bot;
    },
    push: (n, eventId = `ev_${n}`) =>
      eventPush(messageEvent({ token: VERIFICATION_TOKEN, eventId, messageId: `om_${n}` }), {
        encryptKey: ENCRYPT_KEY,
        now: ctx.clock.now(),
      }),
  };
  beforeEach(() => {
    ctx.dir = mkdtempSync(join(tmpdir(), prefix));
    ctx.clock = fakeClock();
  });
  afterEach(async () => {
    for (const b of ctx.bots.splice(0)) await b.stop().catch(() => {});
    rmSync(ctx.dir, { recursive: true, force: true });
  });
  return ctx;
}
