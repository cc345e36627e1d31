/**
 * An Open API call as small layers, each with one job, composed by the client (client.ts), outermost first:
 *
 *   serialize → retry → reconcile → token → limit → transport
 *
 * `serialize` and `retry` wrap the whole call; the layers below wrap one try, so each try takes its own rate-limit
 * slot, and a token refresh's second send is part of the try it repaired. A try ends in an Outcome, not a throw: a
 * thrown error means no try could be made (a bug, a token provider failure, "not signed in") and passes every layer
 * untouched, neither retried nor reconciled nor logged as a failed call.
 */
import type * as lark from '@larksuiteoapi/node-sdk';
import { backoffMs, type Backoff } from '../../backoff.js';
import type { Logger } from '../../log.js';
import type { KeyedLock } from '../../store/lock.js';
import type { Endpoint } from '../endpoints.js';
import {
  FeishuError,
  MALFORMED_RESPONSE,
  mayHaveBeenPerformed,
  NETWORK_ERROR,
  NOT_SIGNED_IN,
  TENANT_TOKEN_CODES,
  USER_TOKEN_CODES,
} from '../errors.js';
import type { Principal } from '../principal.js';
import { larkSdk } from '../sdk.js';
import type { RateLimiter } from './limits.js';
import type { TokenCache, UserTokens } from './tokens.js';
import { toFeishuError, type SdkBody } from './wire.js';

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

/** One call as the layers see it. */
export interface Call<R> {
  readonly endpoint: Endpoint;
  /** Per-target quota key (chat, user, message). */
  readonly key?: string;
  readonly principal: Principal;
  /** The request carries an idempotency key (uuid): repeating it is harmless. */
  readonly idempotent: boolean;
  readonly reconciler?: Reconciler<R>;
  /** The try under way, from 1 (set by `retry`). */
  attempt: number;
}

export interface Failure<R> {
  ok: false;
  error: FeishuError;
  /** The earliest the next try, or a lookup, may happen: a create that got no answer may still be landing. */
  settleMs?: number;
  /** Whether the failed try took effect after all: its result, or undefined. Asked before trying again or giving up. */
  recover?: () => Promise<R | undefined>;
}

export type Outcome<R> = { ok: true; body: R } | Failure<R>;

/** One try, down to the wire; the request options carry a user's token. */
export type Send<R> = (o?: RequestOptions) => Promise<Outcome<R>>;

/** Wraps the send below it; built once per call, so it may keep that call's state across its tries. */
export type Layer = <R extends SdkBody>(call: Call<R>, next: Send<R>) => Send<R>;

/** Where the outcome of each send is counted (per endpoint and code, 0 for success) and logged. */
export interface Observe {
  record: (endpoint: Endpoint, code: number) => void;
  log: Logger;
  now: () => number;
}

/** The fields every log line about a failed try carries (never a token). */
const failureLine = (call: Call<unknown>, e: FeishuError) => ({
  endpoint: call.endpoint,
  as: call.principal.kind,
  attempt: call.attempt,
  code: e.code,
  httpStatus: e.httpStatus,
  logId: e.logId,
  feishuMsg: e.msg,
});

/** Runs calls that name the same serial key one at a time (one mailbox's sends, one chat's member adds). */
export const serialize =
  (lock: KeyedLock) =>
  <T>(serial: string | undefined, run: () => Promise<T>): Promise<T> =>
    serial ? lock.run(serial, run) : run();

export interface RetryOptions {
  /** Total tries for a retryable failure (first included) of a call without an idempotency key. */
  maxAttempts: number;
  /** How long an idempotent call keeps retrying (see ClientOptions.idempotentPatienceMs). */
  patienceMs: number;
  backoff: Backoff;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  log: Logger;
}

/**
 * Tries again after a retryable failure, with backoff (never sooner than Feishu's reset hint, nor than the failure's
 * settle time), until the tries or the patience run out; a failure that may have taken effect is checked after the
 * wait, whether a try follows or not. The last failure is logged and thrown.
 */
export const retry =
  (o: RetryOptions) =>
  async <R>(call: Call<R>, send: Send<R>): Promise<R> => {
    const patientUntil = o.now() + o.patienceMs;
    for (let attempt = 1; ; attempt++) {
      call.attempt = attempt;
      const outcome = await send();
      if (outcome.ok) return outcome.body;
      const { error, settleMs = 0, recover } = outcome;
      const line = failureLine(call, error);
      const exhausted = call.idempotent ? o.now() >= patientUntil : attempt >= o.maxAttempts;
      const giveUp = !error.retryable || exhausted;
      if (giveUp) {
        if (settleMs > 0) await o.sleep(settleMs);
      } else {
        const delay = Math.max(backoffMs(attempt, o.backoff, (error.retryAfterSeconds ?? 0) * 1000), settleMs);
        o.log.info({ ...line, retryInMs: delay }, 'open api call failed; retrying');
        await o.sleep(delay);
      }
      const found = await recover?.();
      if (found) return found;
      if (giveUp) {
        o.log.warn(line, 'open api call failed');
        throw error;
      }
    }
  };

/**
 * For a call with a Reconciler: a failure that may have been performed (no answer, or a 5xx) gets a lookup to recover
 * its result, and, when it got no answer at all, a settle time first (Feishu may still be working on it; a 5xx means
 * it is done). After such a failure, the conflict code is looked up at once: it may be that try's own object.
 */
export const reconcile =
  (o: { settleMs: number; log: Logger }): Layer =>
  (call, next) => {
    const r = call.reconciler;
    if (!r) return next;
    /** An earlier try went unanswered: Feishu may have performed it. */
    let unanswered = r.mayExist ?? false;
    const lookup = (line: object) => async () => {
      const found = await r.find();
      if (found) o.log.info(line, 'an unanswered attempt had been performed: taking its result');
      return found;
    };
    return async (options) => {
      const outcome = await next(options);
      if (outcome.ok) return outcome;
      const line = failureLine(call, outcome.error);
      if (unanswered && outcome.error.code === r.conflictCode) {
        const found = await lookup(line)();
        if (found) return { ok: true, body: found };
      }
      if (!mayHaveBeenPerformed(outcome.error)) return outcome;
      unanswered = true;
      return { ...outcome, settleMs: outcome.error.code === NETWORK_ERROR ? o.settleMs : 0, recover: lookup(line) };
    };
  };

export interface TokenOptions extends Omit<Observe, 'now'> {
  /** The SDK's tenant token cache (the SDK fetches the token itself). */
  tenant: TokenCache;
  users: UserTokens;
}

/**
 * Carries the principal's token: the tenant's is added by the SDK, a user's travels in the request options. A token
 * Feishu rejects is refreshed once per call and the send repeated; a user without a usable sign-in fails the call
 * before any send, as NOT_SIGNED_IN.
 */
export const token =
  (o: TokenOptions): Layer =>
  (call, next) => {
    const { principal } = call;
    const rejected = principal.kind === 'user' ? USER_TOKEN_CODES : TENANT_TOKEN_CODES;
    let userToken: string | undefined;
    let refreshed = false;
    const signedIn = async (openId: string, pending: Promise<string | undefined>): Promise<string> => {
      const value = await pending;
      if (value) return value;
      o.record(call.endpoint, NOT_SIGNED_IN);
      throw new FeishuError({ code: NOT_SIGNED_IN, msg: `no usable sign-in for ${openId}`, endpoint: call.endpoint });
    };
    // Never withAll: its lodash.merge drops the Symbol-keyed user token.
    const send = () => next(userToken === undefined ? undefined : larkSdk().withUserAccessToken(userToken));
    return async () => {
      if (principal.kind === 'user') userToken ??= await signedIn(principal.openId, o.users.current(principal.openId));
      const outcome = await send();
      if (outcome.ok || refreshed || !rejected.has(outcome.error.code)) return outcome;
      refreshed = true;
      o.log.info(failureLine(call, outcome.error), `${principal.kind} token rejected; refreshing it once`);
      if (principal.kind === 'user' && userToken !== undefined) {
        userToken = await signedIn(principal.openId, o.users.refresh(principal.openId, userToken));
      } else {
        // The SDK never invalidates its cached tenant token: drop it, and the SDK fetches a new one.
        o.tenant.clear();
      }
      return send();
    };
  };

/** Each send waits for a rate-limit slot; the slot counts from the send's answer, however it ended. */
export const limit =
  (limiter: RateLimiter): Layer =>
  (call, next) =>
  async (options) => {
    const answered = await limiter.acquire(call.endpoint, call.key);
    try {
      return await next(options);
    } finally {
      await answered();
    }
  };

/** The request through the official SDK; both failure shapes (and no answer) become one FeishuError, counted by code. */
export const transport =
  <R extends SdkBody>(call: Call<R>, request: (o?: RequestOptions) => Promise<R>, o: Observe): Send<R> =>
  async (options) => {
    const started = o.now();
    let error: FeishuError;
    try {
      const body = await request(options);
      if (body === null || typeof body !== 'object' || typeof body.code !== 'number') {
        throw new FeishuError({
          code: MALFORMED_RESPONSE,
          msg: 'response has no numeric code',
          endpoint: call.endpoint,
          httpStatus: 200,
        });
      }
      if (body.code === 0) {
        o.record(call.endpoint, 0);
        o.log.debug({ endpoint: call.endpoint, attempt: call.attempt, ms: o.now() - started }, 'open api call ok');
        return { ok: true, body };
      }
      error = new FeishuError({
        code: body.code,
        msg: body.msg ?? '',
        endpoint: call.endpoint,
        httpStatus: 200,
        logId: body.error?.log_id,
      });
    } catch (e) {
      error = toFeishuError(call.endpoint, e);
    }
    o.record(call.endpoint, error.code);
    return { ok: false, error };
  };
