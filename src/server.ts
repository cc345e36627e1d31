/**
 * The HTTP face of the bot: webhook receiver, GET /healthz, GET /metrics, and a graceful shutdown that stops
 * accepting, lets running handlers finish up to a deadline and leaves the rest in the store for the next start.
 * Nothing here needs a clean shutdown to stay correct: the inbox resumes whatever a crash leaves behind.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import type { Config } from './config.js';
import type { DeliveryHandler } from './delivery.js';
import { Inbox, type InboxOptions } from './inbox/inbox.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import { receiverRouter } from './receiver/routes.js';
import type { Store } from './store/store.js';

export interface ServerDeps {
  config: Config;
  store: Store;
  handler: DeliveryHandler;
  logger: Logger;
  metrics: Metrics;
  /** Epoch ms, for the replay window and retry times (use the store's clock). */
  now?: () => number;
  /** Inbox tuning beyond what app.config.json sets (lease, attempts, backoff, poll). */
  inbox?: Omit<InboxOptions, 'concurrency' | 'dedupeTtlMs' | 'now'>;
  /** How long shutdown waits for running handlers and open requests. */
  drainMs?: number;
}

export interface Listening {
  url: string;
  /** Same as the server's shutdown(). */
  close(): Promise<void>;
}

export interface BotServer {
  app: express.Express;
  inbox: Inbox;
  /** Starts the inbox workers and listens; `host` defaults to all interfaces. */
  listen(port: number, host?: string): Promise<Listening>;
  shutdown(): Promise<void>;
}

export function createServer(deps: ServerDeps): BotServer {
  const { config, store, handler, logger, metrics } = deps;
  const now = deps.now ?? Date.now;
  const drainMs = deps.drainMs ?? 10_000;
  let accepting = true;
  const servers = new Set<Server>();

  const { FEISHU_ENCRYPT_KEY: encryptKey, FEISHU_VERIFICATION_TOKEN: verificationToken } = config.env;
  if (encryptKey === undefined) {
    logger.warn(verificationToken === undefined
      ? 'neither FEISHU_ENCRYPT_KEY nor FEISHU_VERIFICATION_TOKEN is set: anyone who can reach the webhook can push events'
      : 'FEISHU_ENCRYPT_KEY is not set: pushes are not signed, only the verification token (sent in plaintext) is checked');
  }

  const inbox = new Inbox({ store, handler, logger, metrics }, {
    ...deps.inbox,
    concurrency: config.app.inbox.concurrency,
    dedupeTtlMs: config.app.inbox.dedupeHours * 3_600_000,
    now,
  });

  const app = express();
  app.disable('x-powered-by');
  // Webhook answers are never cached: hashing each one for an ETag is wasted work on the ack path.
  app.set('etag', false);
  // Requests not yet answered: shutdown answers them before it closes a connection.
  const open = new Map<express.Response, Promise<void>>();
  app.use((_req, res, next) => {
    open.set(res, new Promise<void>((r) => res.once('close', () => {
      open.delete(res);
      r();
    })));
    // While shutting down, keep-alive connections end after their answer instead of taking one more request.
    if (!accepting) res.set('connection', 'close');
    next();
  });
  app.use(receiverRouter({
    secrets: { encryptKey, verificationToken, replayWindowSeconds: config.app.receiver.replayWindowSeconds,
      legacyCardCallbacks: config.app.receiver.legacyCardCallbacks },
    bodyLimitBytes: config.app.receiver.bodyLimitBytes,
    inbox, handler, logger, metrics, now,
    accepting: () => accepting,
  }));

  app.get('/healthz', async (_req, res) => {
    if (!accepting) return res.status(503).json({ ok: false, problem: 'shutting down' });
    try {
      await store.ping();
      return res.json({ ok: true });
    } catch (err) {
      logger.error({ err }, 'health check: store unreachable');
      return res.status(503).json({ ok: false, problem: 'store unreachable' });
    }
  });

  app.get('/metrics', async (_req, res) => {
    try {
      metrics.queueDepth.set(await inbox.depth());
    } catch (err) {
      logger.warn({ err }, 'metrics: queue depth unavailable');
    }
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  let stopping: Promise<void> | undefined;
  /**
   * Stop accepting (pushes get 503, so Feishu re-pushes them; the port stays open so nobody meets a refused or reset
   * connection), answer every request already in flight, let running handlers finish up to the deadline, then close.
   */
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      accepting = false;
      logger.info('shutting down: no new pushes, answering those in flight, draining running work');
      const deadline = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
      for (const res of open.keys()) if (!res.headersSent) res.set('connection', 'close');
      const inFlight = Promise.race([Promise.all(open.values()), deadline(drainMs)]);
      // Lingering answers a request already on its way over an idle keep-alive connection with 503 (and closes that
      // connection) rather than closing it under the request, which the sender would see as a reset.
      const linger = deadline(Math.min(1_000, drainMs));
      const [{ unfinished }] = await Promise.all([inbox.stop({ drainMs }), inFlight, linger]);
      const closed = [...servers].map((s) => new Promise<void>((r) => s.close(() => r())));
      // Answers already written end their connections; anything still open after the deadline is cut off.
      const cut = setTimeout(() => servers.forEach((s) => s.closeAllConnections()), drainMs);
      await Promise.all(closed);
      clearTimeout(cut);
      logger.info({ unfinished }, 'shut down');
    })();
    return stopping;
  };

  const listen = (port: number, host?: string) =>
    new Promise<Listening>((resolve, reject) => {
      const onListening = (err?: Error) => {
        if (err) return reject(err);
        servers.add(server);
        inbox.start();
        const { address, port: bound } = server.address() as AddressInfo;
        const shown = address.includes(':') ? `[${address}]` : address;
        logger.info({ port: bound }, 'listening');
        resolve({ url: `http://${shown}:${bound}`, close: shutdown });
      };
      const server = host === undefined ? app.listen(port, onListening) : app.listen(port, host, onListening);
    });

  return { app, inbox, listen, shutdown };
}

/** SIGTERM / SIGINT run the graceful shutdown once, then exit. */
export function shutdownOnSignals(server: Pick<BotServer, 'shutdown'>, logger: Logger): void {
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'signal received');
    server.shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
