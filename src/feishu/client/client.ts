/**
 * The only code that calls the Feishu Open API. Every call runs through the layers of pipeline.ts: per-key
 * serialisation → retry policy → reconcile of creates whose answer was lost → token of the principal (refreshed once)
 * → rate limiter → the SDK Client, whose answers become one FeishuError, counted and logged. Tokens are never logged.
 */
import type * as lark from '@larksuiteoapi/node-sdk';
import type { Endpoint } from '../endpoints.js';
import { silentLogger, type Logger } from '../../log.js';
import type { Metrics } from '../../metrics.js';
import { RateLimiter, realSleep, type LimiterStore, type RateLimiterOptions } from './limits.js';
import {
  limit,
  reconcile,
  retry,
  serialize,
  token,
  transport,
  type Call,
  type Layer,
  type Observe,
  type Reconciler,
  type RequestOptions,
  type Send,
} from './pipeline.js';
import { TENANT, type Principal } from '../principal.js';
import { parked } from '../../slots.js';
import { InProcessLock } from '../../store/lock.js';
import { singleFlightTenantFetch, TokenCache, UserTokens, type UserTokenProvider } from './tokens.js';
import type { SdkBody } from './wire.js';
import { larkSdk, sdkLogger } from '../sdk.js';

export interface ClientOptions {
  appId: string;
  appSecret: string;
  /** https://open.feishu.cn, or the emulator's URL. */
  domain: string;
  logger?: Logger;
  metrics?: Metrics;
  rateLimits?: RateLimiterOptions['overrides'];
  limiterStore?: LimiterStore;
  /** Where calls as a user get that user's token; without one, such calls fail as "not signed in". */
  userTokens?: UserTokenProvider;
  /** Per HTTP request; the SDK has none by default. */
  timeoutMs?: number;
  /** Total tries for a retryable failure (first call included). */
  maxAttempts?: number;
  /**
   * How long an idempotent call (one carrying its uuid) keeps retrying while its outcome is unknown (no answer, a
   * 5xx, "still being created") or it is rate limited: repeating it is harmless, and giving up early would report a
   * failure for a call that may yet succeed. Default 2 min; past it the caller's work is retried from the inbox.
   */
  idempotentPatienceMs?: number;
  /**
   * After a create that got no answer at all (and before a resumed run's create), how long to wait before looking
   * for its result: a create still running on Feishu's side must land first, or the lookup misses it and the retry
   * makes a second one. Default: the request timeout.
   */
  settleMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export interface CallOptions {
  /** Per-target quota key (chat, user, message). */
  key?: string;
  /** Serialise with other calls for the same key (per mailbox, per chat). */
  serial?: string;
  /** Whose token the call carries; the tenant's by default. */
  as?: Principal;
  /** The request carries an idempotency key (uuid): retried with it until its outcome is known (`idempotentPatienceMs`). */
  idempotent?: boolean;
}

export class FeishuClient {
  private client: lark.Client | undefined;
  private readonly sdkOptions: Pick<ClientOptions, 'appId' | 'appSecret' | 'domain' | 'logger'>;
  /** Per request; also bounds how long a call in flight can hold its rate-limit slot. */
  private readonly timeoutMs: number;
  private readonly tenantTokens = new TokenCache();
  private readonly settleMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** What the transport counts and logs with. */
  private readonly observe: Observe;
  private readonly serial = serialize(new InProcessLock());
  private readonly withRetries: ReturnType<typeof retry>;
  /** The layers around each try, outermost first. */
  private readonly layers: Layer[];

  constructor(o: ClientOptions) {
    this.sdkOptions = o;
    const timeoutMs = (this.timeoutMs = o.timeoutMs ?? 10_000);
    const log = (o.logger ?? silentLogger).child({ component: 'feishu' });
    const now = o.now ?? Date.now;
    const record = (endpoint: Endpoint, code: number) => o.metrics?.openApiCalls.inc({ endpoint, code: String(code) });
    this.observe = { record, log, now };
    // Waiting for a rate window or a retry gives the inbox worker slot back to items that need no such wait.
    const sleep = o.sleep ?? realSleep;
    this.sleep = (ms) => parked(() => sleep(ms));
    const settleMs = (this.settleMs = o.settleMs ?? timeoutMs);
    this.withRetries = retry({
      maxAttempts: o.maxAttempts ?? 4,
      patienceMs: o.idempotentPatienceMs ?? 120_000,
      backoff: { baseMs: o.backoffBaseMs ?? 250, maxMs: o.backoffMaxMs ?? 10_000, random: o.random ?? Math.random },
      now,
      sleep: this.sleep,
      log,
    });
    const limiter = new RateLimiter({
      overrides: o.rateLimits,
      store: o.limiterStore,
      now,
      sleep,
      park: parked,
      // A request may fetch a tenant token first: two timeouts, and a second's slack for a busy event loop.
      callBoundMs: 2 * timeoutMs + 1_000,
      onWait: (endpoint, ms) => o.metrics?.limiterWait.observe({ endpoint }, ms / 1000),
    });
    this.layers = [
      reconcile({ settleMs, log }),
      token({ tenant: this.tenantTokens, users: new UserTokens(o.userTokens), record, log }),
      limit(limiter),
    ];
  }

  /** The SDK client the API modules call through, built on first use (the SDK loads after the bot listens). */
  get sdk(): lark.Client {
    return (this.client ??= this.sdkClient());
  }

  private sdkClient(): lark.Client {
    const sdk = larkSdk();
    const o = this.sdkOptions;
    const http = sdk.defaultHttpInstance.create({ timeout: this.timeoutMs });
    // The SDK expects bodies, not axios responses (downloads, marked $return_headers, get the headers too, as the
    // SDK's own instance gives them); error responses keep their headers on the AxiosError.
    http.interceptors.response.use((r) =>
      (r.config as { $return_headers?: boolean }).$return_headers ? { data: r.data, headers: r.headers } : r.data,
    );
    const client = new sdk.Client({
      appId: o.appId,
      appSecret: o.appSecret,
      domain: o.domain.replace(/\/+$/, ''),
      // Same object the SDK's own default is built from; its typing just predates the data interceptor.
      httpInstance: http as unknown as lark.HttpInstance,
      cache: this.tenantTokens,
      logger: sdkLogger((o.logger ?? silentLogger).child({ component: 'lark-sdk' })),
    });
    singleFlightTenantFetch(client);
    return client;
  }

  /** A run resumed after a crash: the dead run's create may still be running on Feishu's side, so let it land first. */
  async lookFirst<T>(find: () => Promise<T | undefined>): Promise<T | undefined> {
    await this.sleep(this.settleMs);
    return find();
  }

  call<R extends SdkBody>(
    endpoint: Endpoint,
    opts: CallOptions,
    request: (o?: RequestOptions) => Promise<R>,
    reconciler?: Reconciler<NoInfer<R>>,
  ): Promise<R> {
    const call: Call<R> = {
      endpoint,
      key: opts.key,
      principal: opts.as ?? TENANT,
      idempotent: opts.idempotent ?? false,
      reconciler,
      attempt: 0,
    };
    const send = this.layers.reduceRight<Send<R>>(
      (next, layer) => layer(call, next),
      transport(call, request, this.observe),
    );
    return this.serial(opts.serial, () => this.withRetries(call, send));
  }
}
