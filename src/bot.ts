/**
 * Assembles one bot: store → gateway → app (with every handler family) → HTTP server.
 * `src/main.ts` uses it for the real process; end-to-end tests use it against the emulator.
 */
import { App } from './app.js';
import type { Config } from './config.js';
import { KvLimiterStore } from './feishu/client/limits.js';
import { createFeishu, type ClientOptions, type UserTokenProvider } from './feishu/index.js';
import type { FeishuPorts } from './feishu/ports.js';
import { registerHandlers } from '../handlers/index.js';
import { silentLogger, type Logger } from './log.js';
import { createMetrics, type Metrics } from './metrics.js';
import { createServer, type BotServer, type ServerDeps } from './server.js';
import { openStore } from './store/index.js';
import type { Store } from './store/store.js';

export interface BotOptions {
  config: Config;
  /** App credentials and Open API base URL (the emulator's URL in the sandbox and in tests). */
  appId: string;
  appSecret: string;
  domain: string;
  dataDir: string;
  logger?: Logger;
  /** Card-callback budget override (tests shorten it). */
  cardBudgetMs?: number;
  /** Gateway request timeout. */
  timeoutMs?: number;
  /** Inbox tuning (crash tests shorten the lease). */
  inbox?: ServerDeps['inbox'];
  /** Where calls as a user get that user's token (the token vault); without one they fail as "not signed in". */
  userTokens?: UserTokenProvider;
  /** Gateway retry tuning (fault tests, benchmarks). */
  gateway?: Pick<ClientOptions, 'maxAttempts' | 'backoffBaseMs' | 'backoffMaxMs' | 'sleep' | 'now' | 'idempotentPatienceMs'>;
}

export interface Bot {
  app: App;
  /** Feishu, as the ports the app uses (e2e tests post through it too). */
  gateway: FeishuPorts;
  store: Store;
  server: BotServer;
  metrics: Metrics;
  /** Starts the workers and listens on 127.0.0.1 unless a host is given; resolves to the base URL. */
  listen(port: number, host?: string): Promise<string>;
  /** Graceful stop: stop accepting, finish or keep in-flight work, close the store. */
  stop(): Promise<void>;
}

export async function createBot(o: BotOptions): Promise<Bot> {
  const logger = o.logger ?? silentLogger;
  const metrics = createMetrics();
  const store = await openStore(o.config, o.dataDir);
  const gateway = createFeishu({
    appId: o.appId,
    appSecret: o.appSecret,
    domain: o.domain,
    logger,
    metrics,
    rateLimits: o.config.app.rateLimits,
    limiterStore: new KvLimiterStore(store),
    timeoutMs: o.timeoutMs,
    userTokens: o.userTokens,
    ...o.gateway,
  });
  const app = new App({ config: o.config, gateway, store, logger, metrics, cardBudgetMs: o.cardBudgetMs });
  registerHandlers(app);
  const server = createServer({ config: o.config, store, handler: app, logger, metrics, inbox: o.inbox });
  let listening: { close(): Promise<void> } | undefined;
  return {
    app,
    gateway,
    store,
    server,
    metrics,
    async listen(port, host = '127.0.0.1') {
      const l = await server.listen(port, host);
      listening = l;
      return l.url;
    },
    async stop() {
      if (listening) await listening.close();
      else await server.shutdown();
      await store.close();
    },
  };
}
