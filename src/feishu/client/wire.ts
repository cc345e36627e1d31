/** The Open API's answer shapes: both failure shapes become one FeishuError; inputs are checked before a call. */
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { FeishuError, MALFORMED_RESPONSE, NETWORK_ERROR } from '../errors.js';

export interface SdkBody {
  code?: number;
  msg?: string;
  error?: { log_id?: string };
}

interface AxiosLike {
  message: string;
  code?: string;
  response?: { status: number; data?: unknown; headers?: Record<string, unknown> };
}

/** Both failure shapes (and transport failures) become one FeishuError. */
export function toFeishuError(endpoint: string, e: unknown): FeishuError {
  if (e instanceof FeishuError) return e;
  const err = e as AxiosLike;
  if (err && typeof err === 'object' && 'isAxiosError' in err) {
    const res = err.response;
    if (!res)
      return new FeishuError({ code: NETWORK_ERROR, msg: `${err.code ?? 'network error'}: ${err.message}`, endpoint });
    const body = (res.data ?? {}) as SdkBody;
    const header = (name: string) => {
      const v = res.headers?.[name];
      return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
    };
    const reset = Number(header('x-ogw-ratelimit-reset'));
    return new FeishuError({
      code: typeof body.code === 'number' ? body.code : MALFORMED_RESPONSE,
      msg: body.msg ?? err.message,
      endpoint,
      httpStatus: res.status,
      logId: body.error?.log_id ?? header('x-tt-logid'),
      retryAfterSeconds: Number.isFinite(reset) && reset > 0 ? reset : undefined,
    });
  }
  // The SDK's token fetch throws a plain Error carrying the platform code, not an AxiosError.
  const tokenFailure = e instanceof Error ? /failed to get tenant_access_token, code: (-?\d+)/.exec(e.message) : null;
  if (tokenFailure) return new FeishuError({ code: Number(tokenFailure[1]), msg: (e as Error).message, endpoint });
  throw e;
}

/** A field the answer must have; its absence is a malformed answer, not an empty result. */
export function need<T>(value: T | undefined | null, endpoint: string, field: string): T {
  if (value === undefined || value === null || value === '') {
    throw new FeishuError({ code: MALFORMED_RESPONSE, msg: `response lacks ${field}`, endpoint, httpStatus: 200 });
  }
  return value;
}

/** Checks a caller's input against an API family's schema; a bad input is a bug of the caller, not a Feishu failure. */
export function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success)
    throw new TypeError(
      `${what}: ${r.error.issues.map((i) => `${i.path.join('.') || 'value'} ${i.message}`).join('; ')}`,
    );
  return r.data;
}

/**
 * An idempotency key for calls that have one (IM uuid, mail dedupe_key) when the caller gave none, so that
 * retrying after a timeout cannot create a second chat, message or mail.
 */
export const retrySafeId = (): string => randomUUID();

export function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}
