/**
 * The only code that calls the Feishu Open API. Every call goes: per-key serialisation → rate limiter → token of
 * the principal → SDK Client → one FeishuError for both failure shapes → one token refresh → retry policy (with
 * reconcile of creates whose answer was lost) → metrics → log. Tokens are never logged.
 */
import type * as lark from '@larksuiteoapi/node-sdk';
import type { Endpoint } from '../endpoints.js';
import { FeishuError, MALFORMED_RESPONSE, mayHaveBeenPerformed, NETWORK_ERROR, NOT_SIGNED_IN, TENANT_TOKEN_CODES, USER_TOKEN_CODES } from '../errors.js';
import { silentLogger, type Logger } from '../../log.js';
import type { Metrics } from '../../metrics.js';
import { KeyedSerializer, RateLimiter, realSleep, type LimiterStore, type RateLimiterOptions } from './limits.js';
import { TENANT, type Principal } from '../principal.js';
import { parked } from '../../slots.js';
import { singleFlightTenantFetch, TokenCache, UserTokens, type UserTokenProvider } from './tokens.js';
import { toFeishuError, type SdkBody } from './wire.js';
import { larkSdk } from '../sdk.js';

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

export type RequestOptions = ReturnType<typeof lark.withUserAccessToken>;

/**
 * How a create without an idempotency key learns whether an attempt left unanswered was performed: instead of
 * creating again (a second contact, or "address in use" for our own mail group), the client looks first.
 */
export interface Reconciler<R> {
  /** The object the create would have made, as a create answer, or undefined when it does not exist. */
  find: () => Promise<R | undefined>;
  /** A code that, after an unanswered attempt, may be that attempt's own object in the way (1234006). */
  conflictCode?: number;
  /** An earlier run (that died) may have performed the call: treat the first attempt as following an unanswered one. */
  mayExist?: boolean;
}

export class FeishuClient {
  private client: lark.Client | undefined;
  private readonly sdkOptions: Pick<ClientOptions, 'appId' | 'appSecret' | 'domain' | 'logger'>;
  /** Per request; also bounds how long a call in flight can hold its rate-limit slot. */
  private readonly timeoutMs: number;
  private readonly tenantTokens = new TokenCache();
  private readonly userTokens: UserTokens;
  private readonly limiter: RateLimiter;
  private readonly serial = new KeyedSerializer();
  private readonly log: Logger;
  private readonly metrics: Metrics | undefined;
  private readonly maxAttempts: number;
  private readonly patienceMs: number;
  private readonly settleMs: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(o: ClientOptions) {
    this.sdkOptions = o;
    const timeoutMs = this.timeoutMs = o.timeoutMs ?? 10_000;
    this.userTokens = new UserTokens(o.userTokens);
    this.log = (o.logger ?? silentLogger).child({ component: 'feishu' });
    this.metrics = o.metrics;
    this.now = o.now ?? Date.now;
    // Waiting for a rate window or a retry gives the inbox worker slot back to items that need no such wait.
    const sleep = o.sleep ?? realSleep;
    this.sleep = (ms) => parked(() => sleep(ms));
    this.random = o.random ?? Math.random;
    this.limiter = new RateLimiter({
      overrides: o.rateLimits, store: o.limiterStore, now: this.now, sleep, park: parked,
      // A request may fetch a tenant token first: two timeouts, and a second's slack for a busy event loop.
      callBoundMs: 2 * timeoutMs + 1_000,
      onWait: (endpoint, ms) => this.metrics?.limiterWait.observe({ endpoint }, ms / 1000),
    });
    this.maxAttempts = o.maxAttempts ?? 4;
    this.patienceMs = o.idempotentPatienceMs ?? 120_000;
    this.settleMs = o.settleMs ?? timeoutMs;
    this.backoffBaseMs = o.backoffBaseMs ?? 250;
    this.backoffMaxMs = o.backoffMaxMs ?? 10_000;
  }

  /** The SDK client the API modules call through, built on first use (the SDK loads after the bot listens). */
  get sdk(): lark.Client {
    return (this.client ??= this.sdkClient());
  }

  private sdkClient(): lark.Client {
    const sdk = larkSdk();
    const o = this.sdkOptions;
    const http = sdk.defaultHttpInstance.create({ timeout: this.timeoutMs });
    // The SDK expects bodies, not axios responses; error responses keep their headers on the AxiosError.
    http.interceptors.response.use((r) => r.data);
    const sdkLog = (o.logger ?? silentLogger).child({ component: 'lark-sdk' });
    // The SDK logs whole AxiosErrors (with the Authorization header): pass on strings only.
    const strings = (level: 'debug' | 'info' | 'warn' | 'error') => (...msg: unknown[]) => {
      const text = msg.filter((m): m is string => typeof m === 'string').join(' ');
      if (text) sdkLog[level](text);
    };
    const client = new sdk.Client({
      appId: o.appId,
      appSecret: o.appSecret,
      domain: o.domain.replace(/\/+$/, ''),
      // Same object the SDK's own default is built from; its typing just predates the data interceptor.
      httpInstance: http as unknown as lark.HttpInstance,
      cache: this.tenantTokens,
      logger: { error: strings('error'), warn: strings('warn'), info: strings('info'), debug: strings('debug'), trace: strings('debug') },
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
    endpoint: Endpoint, opts: CallOptions, request: (o?: RequestOptions) => Promise<R>, reconciler?: Reconciler<NoInfer<R>>,
  ): Promise<R> {
    const run = () => this.attempt(endpoint, opts.key, opts.as ?? TENANT, request, reconciler, opts.idempotent ?? false);
    return opts.serial ? this.serial.run(opts.serial, run) : run();
  }

  private async attempt<R extends SdkBody>(
    endpoint: Endpoint, key: string | undefined, principal: Principal, request: (o?: RequestOptions) => Promise<R>,
    reconciler: Reconciler<NoInfer<R>> | undefined, idempotent: boolean,
  ): Promise<R> {
    const patientUntil = this.now() + this.patienceMs;
    let userToken = principal.kind === 'user' ? await this.signedIn(endpoint, principal.openId, this.userTokens.current(principal.openId)) : undefined;
    let refreshed = false;
    /** An earlier attempt went unanswered: Feishu may have performed it. */
    let unanswered = reconciler?.mayExist ?? false;
    const reconcile = async (logLine: object): Promise<R | undefined> => {
      const found = await reconciler?.find();
      if (found) this.log.info(logLine, 'an unanswered attempt had been performed: taking its result');
      return found;
    };
    for (let attempt = 1; ; attempt++) {
      const answered = await this.limiter.acquire(endpoint, key);
      const started = this.now();
      let error: FeishuError;
      try {
        let body: R;
        try {
          // Never withAll: it drops the Symbol-keyed user token (node-sdk.md §2.4).
          body = await request(userToken === undefined ? undefined : larkSdk().withUserAccessToken(userToken));
        } finally {
          // However the call ended, its rate-limit slot counts from now.
          await answered();
        }
        if (body === null || typeof body !== 'object' || typeof body.code !== 'number') {
          throw new FeishuError({ code: MALFORMED_RESPONSE, msg: 'response has no numeric code', endpoint, httpStatus: 200 });
        }
        if (body.code === 0) {
          this.record(endpoint, 0);
          this.log.debug({ endpoint, attempt, ms: this.now() - started }, 'open api call ok');
          return body;
        }
        error = new FeishuError({ code: body.code, msg: body.msg ?? '', endpoint, httpStatus: 200, logId: body.error?.log_id });
      } catch (e) {
        error = toFeishuError(endpoint, e);
      }
      this.record(endpoint, error.code);
      const logLine = { endpoint, as: principal.kind, attempt, code: error.code, httpStatus: error.httpStatus, logId: error.logId, feishuMsg: error.msg };
      const tokenCodes = principal.kind === 'user' ? USER_TOKEN_CODES : TENANT_TOKEN_CODES;
      if (tokenCodes.has(error.code) && !refreshed) {
        refreshed = true;
        this.log.info(logLine, `${principal.kind} token rejected; refreshing it once`);
        if (principal.kind === 'user' && userToken !== undefined) {
          userToken = await this.signedIn(endpoint, principal.openId, this.userTokens.refresh(principal.openId, userToken));
        } else {
          // The SDK never invalidates its cached tenant token (node-sdk.md §2.3): drop it and try once more.
          this.tenantTokens.clear();
        }
        attempt--;
        continue;
      }
      const ambiguous = reconciler !== undefined && mayHaveBeenPerformed(error);
      // A 5xx answer means Feishu is done with the call; without any answer it may still be working on it.
      const settle = ambiguous && error.code === NETWORK_ERROR ? this.settleMs : 0;
      if (unanswered && error.code === reconciler?.conflictCode) {
        const found = await reconcile(logLine);
        if (found) return found;
      }
      const exhausted = idempotent ? this.now() >= patientUntil : attempt >= this.maxAttempts;
      if (!error.retryable || exhausted) {
        if (settle > 0) await this.sleep(settle);
        const found = ambiguous ? await reconcile(logLine) : undefined;
        if (found) return found;
        this.log.warn(logLine, 'open api call failed');
        throw error;
      }
      const delay = Math.max(this.backoff(attempt, error.retryAfterSeconds), settle);
      this.log.info({ ...logLine, retryInMs: delay }, 'open api call failed; retrying');
      await this.sleep(delay);
      if (ambiguous) {
        unanswered = true;
        const found = await reconcile(logLine);
        if (found) return found;
      }
    }
  }

  /** A user's token, or the failure that tells the caller the user must sign in (again). */
  private async signedIn(endpoint: Endpoint, openId: string, token: Promise<string | undefined>): Promise<string> {
    const value = await token;
    if (value) return value;
    this.record(endpoint, NOT_SIGNED_IN);
    throw new FeishuError({ code: NOT_SIGNED_IN, msg: `no usable sign-in for ${openId}`, endpoint });
  }

  /** Exponential backoff, jittered over the upper half; never sooner than Feishu's own reset hint. */
  private backoff(attempt: number, retryAfterSeconds?: number): number {
    const ceiling = Math.min(this.backoffMaxMs, this.backoffBaseMs * 2 ** (attempt - 1));
    const jittered = ceiling / 2 + (this.random() * ceiling) / 2;
    return Math.max(jittered, (retryAfterSeconds ?? 0) * 1000);
  }

  private record(endpoint: Endpoint, code: number): void {
    this.metrics?.openApiCalls.inc({ endpoint, code: String(code) });
  }
}
