/**
 * Assembles one bot: store → gateway → app (with every handler family) → HTTP server.
 * `src/main.ts` uses it for the real process; end-to-end tests use it against the emulator.
 */
import type * as lark from '@larksuiteoapi/node-sdk';
import { errorCard, signedInCard } from '../cards/index.js';
import { App, type AppOptions } from './app.js';
import { CALLBACK_PATH, oauthCallbackRouter, START_PATH } from './auth/callback-route.js';
import { ensureKeyFile } from './auth/key-file.js';
import { feishuOAuthHttp } from './auth/oauth-http.js';
import { SIGN_IN_TTL_MS, SignIn, signInRequestSchema, type CallbackOutcome } from './auth/oauth.js';
import { Sealer } from './auth/seal.js';
import { TokenVault } from './auth/vault.js';
import { statSync } from 'node:fs';
import { checkConfigNames, ConfigError, type Config } from './config.js';
import type { Delivery, DeliveryHandler } from './delivery.js';
import type { EventContext } from './context.js';
import { internalDelivery, SIGN_IN_COMPLETED, type FeishuEvents } from './events.js';
import { KvLimiterStore } from './feishu/client/limits.js';
import { createFeishu, type ClientOptions, type UserTokenProvider } from './feishu/index.js';
import type { FeishuPorts } from './feishu/ports.js';
import { larkSdk } from './feishu/sdk.js';
import { t } from './i18n.js';
import { deriveKey } from './keys.js';
import { registerHandlers, utcTime, type MailAuth } from '../handlers/index.js';
import { silentLogger, type Logger } from './log.js';
import { commandKey } from './commands/registry.js';
import { createMetrics, type Metrics } from './metrics.js';
import { serializeUserCommands } from './middleware/serialize-user.js';
import type { LongConnection } from './receiver/long-connection.js';
import { createServer, type BotServer, type ServerDeps } from './server.js';
import { openStore } from './store/index.js';
import { InProcessLock } from './store/lock.js';
import { RedisStore } from './store/redis.js';
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
  /**
   * Where calls as a user get that user's token. Default: the token vault, sealed under `tokenKey`, with sign-in
   * (/login, /draft, /mail send); a test may pass another provider, and then the sign-in commands are not offered.
   */
  userTokens?: UserTokenProvider;
  /** TOKEN_ENCRYPTION_KEY (32 bytes); default: a key file in `dataDir`, made on first start (the sandbox's way). */
  tokenKey?: Buffer;
  /** Keeps this bot's sign-ins apart from others in its store (TokenVaultOptions.namespace; the sandbox's). */
  signInNamespace?: string;
  /** Base URL of the OAuth redirect (`${publicUrl}/oauth/callback`); default: the address the bot listens on. */
  publicUrl?: string;
  /** Gateway retry tuning (fault tests, benchmarks). */
  gateway?: Pick<
    ClientOptions,
    'maxAttempts' | 'backoffBaseMs' | 'backoffMaxMs' | 'sleep' | 'now' | 'idempotentPatienceMs'
  >;
  /** Runs accepted deliveries instead of the app (the ack benchmark measures the whole bot with a no-op). */
  handler?: DeliveryHandler;
  /** Workflow step retry tuning. */
  workflows?: AppOptions['workflows'];
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

/** Long enough after listening for a rolling deploy's first health checks to be answered before the SDK loads. */
const SDK_WARM_UP_MS = 1_000;
/** How often approval requests are checked for expiry. */
const APPROVAL_SWEEP_MS = 60_000;

export async function createBot(o: BotOptions): Promise<Bot> {
  const logger = o.logger ?? silentLogger;
  const metrics = createMetrics();
  checkDataDir(o.dataDir);
  const store = await openStore(o.config, o.dataDir, { warn: (m) => logger.warn(m) });
  // Without TOKEN_ENCRYPTION_KEY (the sandbox, tests) one is made in the data directory on first start, owner-only.
  // It seals the user tokens, and the drafts the mail handlers keep (also when a test brings its own token provider).
  const sealKey = o.tokenKey ?? (await ensureKeyFile(o.dataDir)).key;
  const sealer = new Sealer(sealKey);
  const key = o.userTokens ? undefined : sealKey;
  const oauth =
    key &&
    feishuOAuthHttp({
      domain: o.domain,
      appId: o.appId,
      appSecret: o.appSecret,
      client: oauthClient(o),
      timeoutMs: o.timeoutMs,
    });
  const vault =
    key && oauth ? new TokenVault({ kv: store, key, http: oauth, namespace: o.signInNamespace }) : undefined;
  let signIn: SignIn | undefined;
  const gateway = createFeishu({
    appId: o.appId,
    appSecret: o.appSecret,
    domain: o.domain,
    logger,
    metrics,
    rateLimits: o.config.app.rateLimits,
    // The limiter's budget outlives a restart (kept in the Store); on Redis every instance draws on one budget per
    // endpoint, so together they stay within Feishu's quota.
    limiterStore: store instanceof RedisStore ? store.limiter : new KvLimiterStore(store),
    timeoutMs: o.timeoutMs,
    userTokens: o.userTokens ?? vault,
    ...o.gateway,
  });
  const app = new App({
    config: o.config,
    gateway,
    store,
    logger,
    metrics,
    cardBudgetMs: o.cardBudgetMs,
    workflows: o.workflows,
    // Work the bot schedules for itself (a held mail's send) goes through the inbox like any event.
    schedule: (d) => server.inbox.accept(d),
  });
  // Commands of one user run one at a time, in order (a Redis lock can replace the in-process one).
  app.use(serializeUserCommands(new InProcessLock()));
  const auth: MailAuth | undefined = vault && {
    status: (openId) => vault.status(openId),
    forget: (openId) => vault.forget(openId),
    start: (request) => {
      if (!signIn) throw new Error('sign-in starts once the bot listens (its redirect URL is known then)');
      return signIn.start(request);
    },
    validMinutes: SIGN_IN_TTL_MS / 60_000,
  };
  // The inbox exists once the server does (below); approvals enqueue only after a click or an event, later still.
  const { sweepApprovals } = registerHandlers(app, {
    auth,
    sealer,
    approvals: { store, gateway, logger, enqueue: (d) => server.inbox.accept(d) },
  });
  try {
    checkConfigNames(o.config.app, {
      rules: app.rules(),
      commands: app.commands().map(commandKey),
      actions: app.actions().flatMap((a) => (a.target.kind === 'action' ? [a.name] : [])),
    });
  } catch (e) {
    await store.close();
    throw e;
  }
  let longConnection: LongConnection | undefined;
  let startSignIn = (_baseUrl: string): void => undefined;
  const server = createServer({
    config: o.config,
    store,
    handler: o.handler ?? app,
    logger,
    metrics,
    inbox: o.inbox,
    sealer,
    transport: () =>
      o.config.env.FEISHU_TRANSPORT === 'websocket'
        ? { kind: 'websocket', state: longConnection?.state() ?? 'connecting' }
        : { kind: 'webhook' },
  });
  if (vault && oauth && key) {
    const sealer = new Sealer(key);
    app.event(SIGN_IN_COMPLETED, (ctx, e) => afterSignIn(ctx, e, { app, vault, sealer }));
    const notListening = () => Promise.reject(new Error('not listening yet'));
    server.app.use(
      oauthCallbackRouter({
        logger,
        secure: o.publicUrl?.startsWith('https:') ?? false,
        begin: (ticket) => (signIn ? signIn.begin(ticket) : notListening()),
        complete: (query, cookies) => (signIn ? signIn.complete(query, cookies) : notListening()),
        record: async (outcome, state) => {
          const delivery = signInDelivery(outcome, state, sealer, Date.now());
          if (delivery) await server.inbox.accept(delivery);
        },
      }),
    );
    startSignIn = (baseUrl: string) => {
      const base = (o.publicUrl ?? baseUrl).replace(/\/+$/, '');
      signIn = new SignIn({
        kv: store,
        http: oauth,
        tokens: vault,
        sealer,
        domain: o.domain,
        appId: o.appId,
        redirectUri: `${base}${CALLBACK_PATH}`,
        startUri: `${base}${START_PATH}`,
      });
    };
  }
  let listening: { close(): Promise<void> } | undefined;
  let warmUp: NodeJS.Timeout | undefined;
  let approvalSweep: NodeJS.Timeout | undefined;
  let stopping = false;
  return {
    app,
    gateway,
    store,
    server,
    metrics,
    async listen(port, host = '127.0.0.1') {
      const l = await server.listen(port, host);
      listening = l;
      startSignIn(l.url);
      // Deliveries are accepted (persisted) without the SDK; it loads a moment after listening, so the first health
      // checks are answered without waiting for it, and the first Open API call usually finds it loaded.
      warmUp = setTimeout(() => {
        try {
          larkSdk();
        } catch (err) {
          logger.error({ err }, 'could not load the Feishu SDK');
        }
      }, SDK_WARM_UP_MS).unref();
      // Long-connection mode: the HTTP server still serves /healthz and /metrics; deliveries come over the socket.
      if (o.config.env.FEISHU_TRANSPORT === 'websocket') {
        const { openLongConnection } = await import('./receiver/long-connection.js');
        longConnection = await openLongConnection({
          appId: o.appId,
          appSecret: o.appSecret,
          domain: o.domain,
          intake: server.intake,
          logger,
          accepting: () => !stopping,
        });
      }
      // Runs a crash interrupted finish now, in the background: nothing waits for them to start serving.
      void app.workflows.resumeAll().catch((err: unknown) => logger.error({ err }, 'could not resume workflow runs'));
      // Approval requests past their time expire (their cards say so); approved ones that never ran are run.
      const sweep = () => void sweepApprovals().catch((err: unknown) => logger.error({ err }, 'approval sweep failed'));
      sweep();
      approvalSweep = setInterval(sweep, APPROVAL_SWEEP_MS).unref();
      return l.url;
    },
    async stop() {
      stopping = true;
      clearTimeout(warmUp);
      clearInterval(approvalSweep);
      // Closed first: Feishu sends what would have come here to another connection, or re-pushes it.
      longConnection?.close();
      app.workflows.close();
      if (listening) await listening.close();
      else await server.shutdown();
      await store.close();
    },
  };
}

/** A DATA_DIR that exists but is no directory (or cannot be read) is a configuration problem, not a crash. */
function checkDataDir(dir: string): void {
  try {
    if (!statSync(dir).isDirectory())
      throw new ConfigError([
        `env DATA_DIR: ${dir} is a file, not a directory: point DATA_DIR at a directory (it is created if missing)`,
      ]);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code !== 'ENOENT') throw new ConfigError([`env DATA_DIR: ${dir}: ${err.message}`]);
  }
}

/** user_info for the sign-in check, through the SDK; it logs nothing (its errors would carry the user's token). */
function oauthClient(o: BotOptions): () => lark.Client {
  const quiet = () => undefined;
  let client: lark.Client | undefined;
  return () =>
    (client ??= new (larkSdk().Client)({
      appId: o.appId,
      appSecret: o.appSecret,
      domain: o.domain.replace(/\/+$/, ''),
      logger: { error: quiet, warn: quiet, info: quiet, debug: quiet, trace: quiet },
    }));
}

/** What the callback leaves for the inbox: who, where, how it ended, and the waiting command (sealed). */
function signInDelivery(outcome: CallbackOutcome, state: string, sealer: Sealer, now: number): Delivery | undefined {
  const request = outcome.request;
  if (!request) return undefined;
  // The state is single-use: one id per sign-in, so a re-run of this item posts and resumes nothing twice.
  const id = `oauth_${deriveKey('oauth', state)}`;
  const event: FeishuEvents[typeof SIGN_IN_COMPLETED] = {
    open_id: request.openId,
    ...(request.chatId ? { chat_id: request.chatId } : {}),
    outcome: outcome.ok ? { ok: true } : { ok: false, problem: outcome.problem },
    ...(outcome.ok && request.resume ? { resume: sealer.seal(request.resume, id) } : {}),
  };
  return internalDelivery(SIGN_IN_COMPLETED, event, id, now);
}

const resumedCommand = signInRequestSchema.shape.resume.unwrap();

/**
 * After the consent page, from the inbox: tell the chat, continue what waited for this sign-in (onboarding steps,
 * the command that needed it) as the user. Reply uuids and the command's own claims derive from the item's id, so a
 * re-run after a crash does nothing twice.
 */
async function afterSignIn(
  ctx: EventContext,
  e: FeishuEvents[typeof SIGN_IN_COMPLETED],
  d: { app: App; vault: TokenVault; sealer: Sealer },
): Promise<void> {
  if (!e.outcome.ok) {
    await ctx.send(errorCard({ title: t('app.signInIncomplete'), problems: [e.outcome.problem] }));
    return;
  }
  const status = await d.vault.status(e.open_id);
  if (!status.signedIn)
    return void ctx.logger.info('signed out again before the sign-in was confirmed; nothing resumed');
  await ctx.send(
    signedInCard({
      name: status.name,
      ...(status.mailbox ? { mailbox: status.mailbox } : {}),
      until: utcTime(status.until),
      justSignedIn: true,
    }),
  );
  // Onboarding steps that waited for this person's sign-in (a welcome draft in their mailbox) go on now.
  await d.app.workflows.resumeWaiting(e.open_id);
  if (e.resume === undefined) return;
  const command = resumedCommand.safeParse(d.sealer.open(e.resume, ctx.eventId));
  if (!command.success)
    return void ctx.logger.error('the command waiting for this sign-in cannot be read (another TOKEN_ENCRYPTION_KEY?)');
  await d.app.resume(
    command.data,
    { openId: e.open_id, name: status.name, ...(e.chat_id ? { chatId: e.chat_id } : {}) },
    { id: ctx.eventId, type: ctx.eventType, dedupeKey: `${ctx.dedupeKey}/resume`, finalAttempt: ctx.finalAttempt },
  );
}
