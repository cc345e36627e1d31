/**
 * The route kit: every emulator endpoint is declared through it, so token checks, rate limits, fault
 * injection, the call log and the error body are the same everywhere.
 *
 * Writing a route module (mail.ts, chats.ts and the others follow this shape):
 *
 * ```ts
 * import { z } from 'zod';
 * import type { Kit } from './kit.js';
 *
 * export function myRoutes(kit: Kit) {
 *   const r = kit.routes();
 *   const store = new Map<string, Mailgroup>();
 *   kit.state.registerSection('mailgroups', { reset: () => store.clear(), snapshot: () => [...store.values()] });
 *   r.add({
 *     method: 'post',
 *     path: '/open-apis/mail/v1/user_mailboxes/:user_mailbox_id/messages/send',
 *     token: 'user',                                   // 'tenant' | 'user' | 'tenant_or_user' | 'none'
 *     limits: { perSecond: 1 },                        // global per route; per-key limits: perKey
 *     serial: { key: (ctx) => ctx.params.user_mailbox_id, code: 1236006, page: 'mail-message-send' },
 *     body: z.object({ raw: z.string() }),             // parsed before the handler; failures → invalidCode
 *     invalidCode: 1234008, page: 'mail-message-send', // which doc row supplies status/message
 *     handler: (ctx) => {
 *       if (ctx.caller.kind !== 'user') throw ctx.kit.error(1234017);
 *       if (!found) throw ctx.kit.error(1234013, { page: 'mail-message-send' });
 *       return { message_id: '…' };                    // → {code:0,msg:'success',data:{…}}
 *     },
 *   });
 *   return r.router;
 * }
 * ```
 *
 * Handlers return `data` (wrapped as `{code:0,msg:"success",data}`), or `topLevel(body)` for the few
 * endpoints whose fields sit at the top level, or send the response themselves (redirects). Throwing
 * `ApiError` gives the generic error body `{code,msg,error:{log_id}}` with an `x-tt-logid` header.
 * Every time is emulator time (`kit.clock.now()`), which runs `timeScale` times faster than real time.
 *
 * Testing a module before it is mounted by default:
 * `const emu = await startEmulator({ modules: [...DEFAULT_MODULES, myRoutes] })` (index.ts); then
 * `new lark.Client({ appId: emu.state.app.appId, appSecret: emu.state.app.appSecret, domain: emu.url })`.
 * Users: `emu.state.users` / `userByEmail()`; user tokens: `emu.state.userTokens` via the OAuth flow.
 *
 * Token policy: tenant tokens are HMAC-verifiable (see tokens.ts) so the SDK's process-global token cache
 * keeps working across emulator instances with the same appId/appSecret. Errors: missing → 99991661;
 * tenant token invalid or expired → 99991663; user token unknown → 99991668, expired → 99991677; a
 * user-only endpoint called with a tenant token → 99991668 (the user token it needs is invalid); a
 * tenant-only endpoint called with a user token → 99991663; an unknown prefix → 99991671.
 */
import { setTimeout as pause } from 'node:timers/promises';
import express, { type Request, type Response } from 'express';
import type { z } from 'zod';
import { codeInfo, type CodePage, type DocPage } from './codes.js';
import type { EmulatorClock } from './clock.js';
import { randomId, type EmulatorState, type SeedUser } from './state.js';
import { checkTenantToken } from './tokens.js';

export type TokenRequirement = 'tenant' | 'user' | 'tenant_or_user' | 'none';

export type Caller =
  | { kind: 'anonymous' }
  | { kind: 'app'; appId: string }
  | { kind: 'user'; appId: string; openId: string; user: SeedUser; mailbox: string; scopes: readonly string[] };

export interface ApiErrorExtras {
  /** Why this input failed; sent as error.message so the documented msg stays exact. */
  detail?: string;
  /** Replaces the generic body entirely (OAuth token errors use {code,error,error_description}). */
  body?: Record<string, unknown>;
  /** Extra headers, e.g. the rate-limit ones. */
  headers?: Record<string, string>;
}

export class ApiError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: number,
    msg: string,
    readonly extras: ApiErrorExtras = {},
  ) {
    super(msg);
  }
}

export interface ErrorOptions {
  /** Which page's row to use when the code appears on several. */
  page?: CodePage;
  /** Replaces the documented message (e.g. to carry a card sub-code). */
  msg?: string;
  /** Why this input failed; goes to error.message so the documented msg stays exact. */
  detail?: string;
  /** Replaces the generic body entirely. */
  body?: Record<string, unknown>;
}

/** A response body sent as-is instead of being wrapped in {code,msg,data}. */
export class TopLevel {
  constructor(
    readonly body: Record<string, unknown>,
    readonly httpStatus = 200,
  ) {}
}
export const topLevel = (body: Record<string, unknown>, httpStatus = 200): TopLevel => new TopLevel(body, httpStatus);

type AnyContext = RouteContext<unknown, unknown>;

export interface RateLimit<C = AnyContext> {
  perSecond?: number;
  perMinute?: number;
  /** A second limit per key (checked after parsing), e.g. 5 QPS per chat: `{ key: (ctx) => chatId, perSecond: 5 }`. */
  perKey?: { key: (ctx: C) => string | undefined; perSecond?: number; perMinute?: number };
  /** The code to answer with (default 99991400); its status comes from the codes table (99991400 → 429). */
  code?: number;
  page?: CodePage;
}

/** Calls with the same key must not overlap: the later one fails with `code` while the first is in flight. */
export interface Serial<C = AnyContext> {
  key: (ctx: C) => string | undefined;
  /** Routes naming the same scope exclude each other for one key (default: this route alone). */
  scope?: string;
  code: number;
  page?: CodePage;
  /** Real milliseconds of simulated processing that keep the key busy (default 20). */
  processingMs?: number;
}

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteContext<B, Q> {
  req: Request;
  res: Response;
  caller: Caller;
  body: B;
  query: Q;
  params: Record<string, string>;
  state: EmulatorState;
  kit: Kit;
}

export interface RouteSpec<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined> {
  method: Method;
  path: string;
  token: TokenRequirement;
  limits?: RateLimit<RouteContext<Parsed<B>, Parsed<Q>>>;
  /** With a user token, the user must have granted one of these ("开启其中任意一项权限即可调用"), else 99991679. */
  userScopes?: readonly string[];
  serial?: Serial<RouteContext<Parsed<B>, Parsed<Q>>>;
  body?: B;
  query?: Q;
  /** Code for a body/query that fails its schema (default 99992402). */
  invalidCode?: number;
  page?: DocPage;
  handler: (ctx: RouteContext<Parsed<B>, Parsed<Q>>) => unknown;
}

type Parsed<S> = S extends z.ZodType ? z.output<S> : Record<string, unknown>;

export interface Fault {
  /** Only calls whose path starts with this (default: every Open API call). */
  pathPrefix?: string;
  /** Only calls with this HTTP method (a list and a create can share a path). */
  method?: string;
  /** Answer with this documented code (status and message from the codes table). */
  code?: number;
  page?: DocPage;
  /** Probability that a matching call is hit (default 1). */
  errorRate?: number;
  /** How many calls the fault hits before it is removed (default: until cleared). */
  count?: number;
  /** Real milliseconds to wait before answering. */
  latencyMs?: number;
  /** Destroy the socket without answering. */
  drop?: boolean;
  /** Real milliseconds to wait after the call was performed, before answering: a client that gives up sooner never learns it was done. */
  latencyAfterMs?: number;
  /** Perform the call, then destroy the socket instead of answering: done, but the answer is lost. */
  dropAfter?: boolean;
}

/** What a fault leaves to the call itself: latency before it runs, and what happens to its answer. */
interface FaultEffects {
  latencyMs: number;
  latencyAfterMs: number;
  dropAfter: boolean;
}

const NO_FAULT: FaultEffects = { latencyMs: 0, latencyAfterMs: 0, dropAfter: false };

export interface CallRecord {
  seq: number;
  at: number;
  method: string;
  path: string;
  query: Record<string, unknown>;
  body: unknown;
  caller: string;
  status: number;
  code: number | undefined;
  fault: boolean;
  /** The JSON answer sent, tokens redacted; absent while the call runs or when the answer was lost. */
  answer?: unknown;
}

export interface LimitOverride {
  perSecond?: number;
  perMinute?: number;
  perKeyPerSecond?: number;
  perKeyPerMinute?: number;
}

export interface RouteBuilder {
  router: express.Router;
  add<B extends z.ZodType | undefined = undefined, Q extends z.ZodType | undefined = undefined>(
    spec: RouteSpec<B, Q>,
  ): void;
}

/** The call log keeps the latest calls only, so a long standalone run does not grow without bound. */
const MAX_CALLS = 10_000;

const WINDOWS = [
  { name: 'perSecond', ms: 1000 },
  { name: 'perMinute', ms: 60_000 },
] as const;

/** Sliding-window counters: accepted calls' times per bucket. */
class Windows {
  private readonly hits = new Map<string, number[]>();

  /** Returns the limit and seconds-to-reset of the first exceeded window, or records the hit. */
  take(
    bucket: string,
    limits: { perSecond?: number; perMinute?: number },
    now: number,
  ): { limit: number; resetS: number } | undefined {
    const times = (this.hits.get(bucket) ?? []).filter((t) => t > now - 60_000);
    for (const w of WINDOWS) {
      const limit = limits[w.name];
      if (limit === undefined) continue;
      const inWindow = times.filter((t) => t > now - w.ms);
      if (inWindow.length >= limit) {
        const oldest = inWindow[inWindow.length - limit] as number;
        return { limit, resetS: Math.max(1, Math.ceil((oldest + w.ms - now) / 1000)) };
      }
    }
    times.push(now);
    this.hits.set(bucket, times);
    return undefined;
  }

  clear(): void {
    this.hits.clear();
  }
}

export class Kit {
  readonly calls: CallRecord[] = [];
  faults: Fault[] = [];
  readonly limitOverrides = new Map<string, LimitOverride>();
  /** Declared routes ("POST /open-apis/im/v1/chats") with their documented limits. */
  readonly routeTable = new Map<string, RateLimit<never> | undefined>();
  private readonly windows = new Windows();
  private readonly busy = new Set<string>();
  private seq = 0;

  constructor(readonly state: EmulatorState) {}

  get clock(): EmulatorClock {
    return this.state.clock;
  }

  /** An ApiError for a documented code, with its documented status and message. */
  error(code: number, opts: ErrorOptions = {}): ApiError {
    const info = codeInfo(code, opts.page);
    if (!info) throw new Error(`code ${code} is not in src/emulator/codes.ts: add its documented row first`);
    return new ApiError(info.httpStatus, code, opts.msg ?? info.msg, { detail: opts.detail, body: opts.body });
  }

  /** Clears the call log, faults, limit overrides and rate windows (state.reset() clears the data). */
  reset(): void {
    this.calls.length = 0;
    this.faults = [];
    this.limitOverrides.clear();
    this.windows.clear();
    this.busy.clear();
  }

  routes(): RouteBuilder {
    const router = express.Router();
    return {
      router,
      add: (spec) => {
        this.routeTable.set(routeIdOf(spec), spec.limits);
        router[spec.method](spec.path, (req, res) => this.run(spec as RouteSpec<z.ZodType, z.ZodType>, req, res));
      },
    };
  }

  logId(): string {
    const d = new Date(this.clock.now()).toISOString().replace(/\D/g, '').slice(0, 14);
    return d + randomId('', 20).toUpperCase();
  }

  /** Sends an ApiError as the generic error body (also used by the server's 404 and JSON-parse handlers). */
  sendError(res: Response, err: ApiError): void {
    const logId = this.logId();
    res.locals.code = err.code;
    res.set('x-tt-logid', logId);
    if (err.extras.headers) res.set(err.extras.headers);
    const error = err.extras.detail === undefined ? { log_id: logId } : { log_id: logId, message: err.extras.detail };
    res.status(err.httpStatus).json(err.extras.body ?? { code: err.code, msg: err.message, error });
  }

  private async run(spec: RouteSpec<z.ZodType, z.ZodType>, req: Request, res: Response): Promise<void> {
    const record = this.startRecord(req);
    const send = res.json.bind(res);
    res.json = (body: unknown) => {
      record.answer = withoutSecrets(body, ANSWER_SECRET_FIELDS);
      return send(body);
    };
    res.on('finish', () => {
      record.status = res.statusCode;
      record.code = typeof res.locals.code === 'number' ? res.locals.code : undefined;
    });
    let fault: FaultEffects | 'answered' = NO_FAULT;
    try {
      fault = await this.applyFaults(req, res, record);
      if (fault === 'answered') return;
      const effects = fault;
      const caller = this.authenticate(spec.token, req.get('authorization'));
      record.caller = describeCaller(caller);
      if (spec.userScopes && caller.kind === 'user' && !spec.userScopes.some((sc) => caller.scopes.includes(sc))) {
        throw this.error(99991679, {
          detail: `the user granted [${caller.scopes.join(' ')}]; this API needs one of [${spec.userScopes.join(' ')}]: add it to the authorize scope and sign in again`,
        });
      }
      const routeId = routeIdOf(spec);
      const override = this.limitOverrides.get(routeId) ?? {};
      // Counted at the time the call arrived (its logged time): Feishu counts a call when it receives it.
      if (spec.limits)
        this.checkRate(
          routeId,
          {
            perSecond: override.perSecond ?? spec.limits.perSecond,
            perMinute: override.perMinute ?? spec.limits.perMinute,
          },
          spec.limits,
          record.at,
        );
      const ctx: AnyContext = {
        req,
        res,
        caller,
        state: this.state,
        kit: this,
        params: req.params as Record<string, string>,
        body: this.parse(spec.body, req.body ?? {}, spec, 'body'),
        query: this.parse(spec.query, req.query, spec, 'query'),
      };
      const perKey = spec.limits?.perKey;
      const key = perKey?.key(ctx);
      if (perKey && key !== undefined && spec.limits) {
        this.checkRate(
          `${routeId}#${key}`,
          {
            perSecond: override.perKeyPerSecond ?? perKey.perSecond,
            perMinute: override.perKeyPerMinute ?? perKey.perMinute,
          },
          spec.limits,
          record.at,
        );
      }
      // A slow call stays slow while it holds its per-key lock, as a slow server would.
      const invoke = async () => {
        if (effects.latencyMs > 0) await pause(effects.latencyMs);
        return spec.handler(ctx as never);
      };
      const result = spec.serial ? await this.serially(spec.serial, ctx, invoke) : await invoke();
      if (res.headersSent || (await this.answerLost(req, effects))) return;
      res.set('x-tt-logid', this.logId());
      res.locals.code = 0;
      if (result instanceof TopLevel) res.status(result.httpStatus).json(result.body);
      else res.json({ code: 0, msg: 'success', data: result ?? {} });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (res.headersSent || (fault !== 'answered' && (await this.answerLost(req, fault)))) return;
      this.sendError(res, err);
    }
  }

  /** Applies a fault's after-effects; true when the answer must not be sent (the socket is gone). */
  private async answerLost(req: Request, fault: FaultEffects): Promise<boolean> {
    if (fault.latencyAfterMs > 0) await pause(fault.latencyAfterMs);
    if (!fault.dropAfter) return false;
    req.socket.destroy();
    return true;
  }

  private startRecord(req: Request): CallRecord {
    const record: CallRecord = {
      seq: ++this.seq,
      at: this.clock.now(),
      method: req.method,
      path: req.path,
      query: { ...req.query },
      body: withoutSecrets(req.body ?? {}),
      caller: 'anonymous',
      status: 0,
      code: undefined,
      fault: false,
    };
    // Control calls (/_emulator/…) are not Open API traffic: keep them out of the log.
    if (req.path.startsWith('/open-apis/')) this.calls.push(record);
    if (this.calls.length > MAX_CALLS) this.calls.splice(0, this.calls.length - MAX_CALLS);
    return record;
  }

  /**
   * 'answered' when a fault answered (or dropped) the call before it ran; otherwise what the call must still
   * spend in its handler and what happens to its answer.
   */
  private async applyFaults(req: Request, res: Response, record: CallRecord): Promise<'answered' | FaultEffects> {
    if (!req.path.startsWith('/open-apis/')) return NO_FAULT;
    const hits = this.faults.filter(
      (f) =>
        req.path.startsWith(f.pathPrefix ?? '/open-apis/') &&
        (f.method === undefined || f.method === req.method) &&
        Math.random() < (f.errorRate ?? 1),
    );
    if (hits.length === 0) return NO_FAULT;
    record.fault = true;
    for (const f of hits) if (f.count !== undefined) f.count -= 1;
    this.faults = this.faults.filter((f) => f.count === undefined || f.count > 0);
    const latency = Math.max(0, ...hits.map((f) => f.latencyMs ?? 0));
    const coded = hits.find((f) => f.code !== undefined);
    const drop = hits.some((f) => f.drop);
    if (!drop && coded?.code === undefined) {
      return {
        latencyMs: latency,
        latencyAfterMs: Math.max(0, ...hits.map((f) => f.latencyAfterMs ?? 0)),
        dropAfter: hits.some((f) => f.dropAfter),
      };
    }
    if (latency > 0) await pause(latency);
    if (drop) req.socket.destroy();
    else if (coded?.code !== undefined) this.sendError(res, this.error(coded.code, { page: coded.page }));
    return 'answered';
  }

  private authenticate(need: TokenRequirement, header: string | undefined): Caller {
    if (need === 'none') return { kind: 'anonymous' };
    const token = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
    if (!token) throw this.error(99991661, { detail: 'send "Authorization: Bearer <token>"' });
    const { appId, appSecret } = this.state.app;
    if (token.startsWith('t-')) {
      if (need === 'user')
        throw this.error(99991668, { detail: 'this endpoint needs a user_access_token (u-…), not a tenant token' });
      const check = checkTenantToken(token, appId, appSecret, this.clock.now());
      if (!check.ok) throw this.error(99991663, { detail: `tenant_access_token is ${check.reason}: fetch a new one` });
      return { kind: 'app', appId };
    }
    if (token.startsWith('u-')) {
      if (need === 'tenant')
        throw this.error(99991663, { detail: 'this endpoint needs a tenant_access_token (t-…), not a user token' });
      const ut = this.state.userTokens.get(token);
      if (!ut) throw this.error(99991668, { detail: 'unknown user_access_token' });
      if (ut.expiresAt <= this.clock.now()) throw this.error(99991677, { detail: 'refresh it with the refresh_token' });
      const user = this.state.userByOpenId(ut.openId);
      if (!user) throw this.error(99991668, { detail: 'the token belongs to no user' });
      return {
        kind: 'user',
        appId,
        openId: user.open_id,
        user,
        mailbox: user.enterprise_email,
        scopes: ut.scope.split(' ').filter(Boolean),
      };
    }
    throw this.error(99991671);
  }

  private checkRate(
    bucket: string,
    limits: { perSecond?: number; perMinute?: number },
    spec: RateLimit<never>,
    at: number,
  ): void {
    const hit = this.windows.take(bucket, limits, at);
    if (!hit) return;
    const base = this.error(spec.code ?? 99991400, { page: spec.page });
    throw new ApiError(base.httpStatus, base.code, base.message, {
      headers: { 'x-ogw-ratelimit-limit': String(hit.limit), 'x-ogw-ratelimit-reset': String(hit.resetS) },
    });
  }

  private parse(
    schema: z.ZodType | undefined,
    input: unknown,
    spec: RouteSpec<z.ZodType, z.ZodType>,
    where: string,
  ): unknown {
    if (!schema) return input;
    const r = schema.safeParse(input);
    if (r.success) return r.data;
    const detail = r.error.issues.map((i) => `${where}.${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw this.error(spec.invalidCode ?? 99992402, { page: spec.page, detail });
  }

  private async serially(serial: Serial, ctx: AnyContext, handler: () => unknown): Promise<unknown> {
    const key = serial.key(ctx);
    if (key === undefined) return handler();
    const busyKey = `${serial.scope ?? `${ctx.req.method} ${ctx.req.route?.path ?? ctx.req.path}`}#${key}`;
    if (this.busy.has(busyKey))
      throw this.error(serial.code, {
        page: serial.page,
        detail: `another call for ${key} is still in progress: serialize them`,
      });
    this.busy.add(busyKey);
    try {
      const result = await handler();
      await pause(serial.processingMs ?? 20);
      return result;
    } finally {
      this.busy.delete(busyKey);
    }
  }
}

/** Credential fields of the token endpoints: the call log, like GET /_emulator/state, never shows them. */
const SECRET_FIELDS = ['app_secret', 'client_secret', 'code', 'code_verifier', 'refresh_token'];
/** Token fields of their answers. */
const ANSWER_SECRET_FIELDS = ['tenant_access_token', 'app_access_token', 'access_token', 'refresh_token'];

function withoutSecrets(body: unknown, fields = SECRET_FIELDS): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const entries = Object.entries(body).map(([k, v]) => [k, fields.includes(k) ? '[redacted]' : v]);
  return Object.fromEntries(entries);
}

function routeIdOf(spec: { method: Method; path: string }): string {
  return `${spec.method.toUpperCase()} ${spec.path}`;
}

function describeCaller(c: Caller): string {
  if (c.kind === 'app') return `app:${c.appId}`;
  if (c.kind === 'user') return `user:${c.openId}`;
  return 'anonymous';
}
