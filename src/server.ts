/**
 * The HTTP face of the bot: webhook receiver, GET /healthz, GET /metrics (optionally on its own port, optionally
 * behind a bearer token), and a graceful shutdown that stops
 * accepting, lets running handlers finish up to a deadline and leaves the rest in the store for the next start.
 * Nothing here needs a clean shutdown to stay correct: the inbox resumes whatever a crash leaves behind.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import express from 'express';
import type { Sealing } from './auth/seal.js';
import type { Config } from './config.js';
import type { DeliveryHandler } from './delivery.js';
import { Inbox, type InboxOptions } from './inbox/inbox.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import { createIntake, type Intake } from './receiver/intake.js';
import { receiverRoutes } from './receiver/routes.js';
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
  /** How Feishu reaches this instance, for /healthz; webhook unless told otherwise. */
  transport?: () => { kind: 'webhook' | 'websocket'; state?: string };
  /** Seals the inbox's payloads at rest (InboxDeps.sealer). */
  sealer?: Sealing;
}

export interface Listening {
  url: string;
  /** Same as the server's shutdown(). */
  close(): Promise<void>;
}

export interface BotServer {
  app: express.Express;
  inbox: Inbox;
  /** Where every transport (webhook routes, long connection) hands its verified deliveries. */
  intake: Intake;
  /** Starts the inbox workers and listens (and on METRICS_PORT when set); `host` defaults to all interfaces. */
  listen(port: number, host?: string): Promise<Listening>;
  /** Where GET /metrics answers once listening. */
  metricsUrl(): string | undefined;
  shutdown(): Promise<void>;
}

const digest = (s: string) => createHash('sha256').update(s).digest();
/** Constant time whatever the lengths: both sides are hashed first. */
const sameToken = (expected: string, header: string | undefined): boolean =>
  header?.startsWith('Bearer ') === true && timingSafeEqual(digest(expected), digest(header.slice('Bearer '.length)));

const urlOf = (server: Server): string => {
  const { address, port } = server.address() as AddressInfo;
  return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
};

export function createServer(deps: ServerDeps): BotServer {
  const { config, store, handler, logger, metrics } = deps;
  const now = deps.now ?? Date.now;
  const drainMs = deps.drainMs ?? 10_000;
  let accepting = true;
  const servers = new Set<Server>();

  const { FEISHU_ENCRYPT_KEY: encryptKey, FEISHU_VERIFICATION_TOKEN: verificationToken } = config.env;
  // Over the long connection nothing arrives by HTTP: the push routes are not served at all.
  const webhooks = config.env.FEISHU_TRANSPORT === 'webhook';
  if (webhooks && encryptKey === undefined)
    logger.warn('FEISHU_ENCRYPT_KEY is not set: every push is refused, as none can be proven to come from Feishu');

  const inbox = new Inbox(
    { store, handler, logger, metrics, sealer: deps.sealer },
    {
      ...deps.inbox,
      concurrency: config.app.inbox.concurrency,
      dedupeTtlMs: config.app.inbox.dedupeHours * 3_600_000,
      now,
    },
  );

  const intake = createIntake({ inbox, handler, logger, metrics });
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const webhook =
    webhooks &&
    receiverRoutes({
      secrets: {
        encryptKey,
        verificationToken,
        replayWindowSeconds: config.app.receiver.replayWindowSeconds,
        legacyCardCallbacks: config.app.receiver.legacyCardCallbacks,
      },
      bodyLimitBytes: config.app.receiver.bodyLimitBytes,
      intake,
      logger,
      metrics,
      now,
      accepting: () => accepting,
    });
  // Requests not yet answered: shutdown answers them before it closes a connection. A set and one listener per
  // request (no promise each): this runs on the ack path; only shutdown waits for the set to empty.
  const open = new Set<ServerResponse>();
  let drained: (() => void) | undefined;
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    open.add(res);
    res.once('close', () => {
      open.delete(res);
      if (open.size === 0) drained?.();
    });
    // While shutting down, keep-alive connections end after their answer instead of taking one more request.
    if (!accepting) res.setHeader('connection', 'close');
    if (!webhook || !webhook(req, res)) app(req, res);
  };

  app.get('/healthz', async (_req, res) => {
    if (!accepting) return res.status(503).json({ ok: false, problem: 'shutting down' });
    const transport = deps.transport?.() ?? { kind: 'webhook' };
    try {
      await store.ping();
    } catch (err) {
      logger.error({ err }, 'health check: store unreachable');
      return res.status(503).json({ ok: false, problem: 'store unreachable', store: store.kind, transport });
    }
    // A long connection the SDK gave up on delivers nothing: this instance must be restarted.
    if (transport.state === 'failed')
      return res.status(503).json({ ok: false, problem: 'long connection failed', store: store.kind, transport });
    return res.json({ ok: true, store: store.kind, transport });
  });

  const { METRICS_TOKEN: metricsToken, METRICS_PORT: metricsPort } = config.env;
  const metricsRoute: express.RequestHandler = async (req, res) => {
    if (metricsToken !== undefined && !sameToken(metricsToken, req.headers.authorization)) {
      logger.warn(
        { ip: req.ip, sent: req.headers.authorization !== undefined },
        'metrics refused: no bearer token or not METRICS_TOKEN',
      );
      return res.status(401).set('www-authenticate', 'Bearer realm="metrics"').json({
        error: 'unauthorized',
        message: 'this endpoint needs the metrics bearer token: Authorization: Bearer <token>',
      });
    }
    try {
      metrics.queueDepth.set(await inbox.depth());
      metrics.inFlight.set(inbox.inFlight());
    } catch (err) {
      logger.warn({ err }, 'metrics: queue depth unavailable');
    }
    return res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  };
  // On its own port, the webhook port does not answer /metrics at all, so a firewall rule can keep it private.
  const metricsApp = metricsPort === undefined ? app : express().disable('x-powered-by');
  metricsApp.get('/metrics', metricsRoute);
  let metricsUrl: string | undefined;

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
      for (const res of open) if (!res.headersSent) res.setHeader('connection', 'close');
      const allAnswered =
        open.size === 0
          ? Promise.resolve()
          : new Promise<void>((r) => {
              drained = r;
            });
      const inFlight = Promise.race([allAnswered, deadline(drainMs)]);
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

  const bind = (
    listener: (req: IncomingMessage, res: ServerResponse) => void,
    port: number,
    host: string | undefined,
  ) =>
    new Promise<Server>((resolve, reject) => {
      const server = createHttpServer(listener);
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        servers.add(server);
        resolve(server);
      });
    });

  const listen = async (port: number, host?: string): Promise<Listening> => {
    const server = await bind(onRequest, port, host);
    const url = urlOf(server);
    metricsUrl = `${metricsPort === undefined ? url : urlOf(await bind(metricsApp, metricsPort, host))}/metrics`;
    inbox.start();
    logger.info({ url, metrics: metricsUrl, metricsToken: metricsToken !== undefined }, 'listening');
    return { url, close: shutdown };
  };

  return { app, inbox, intake, listen, metricsUrl: () => metricsUrl, shutdown };
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
