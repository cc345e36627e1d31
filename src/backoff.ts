/**
 * The one backoff: exponential from `baseMs` (doubling per attempt), capped at `maxMs`, optionally jittered over the
 * upper half of that ceiling, and never sooner than a server's reset hint. A pure function rather than p-retry: each
 * caller keeps a loop of its own (the Feishu client's patience and reconcile, the inbox's durable retry times, the
 * workflow engine's step records) and needs only the delay.
 */
export interface Backoff {
  baseMs: number;
  /** Ceiling of the delay; none by default. */
  maxMs?: number;
  /** Jitter source: callers retrying together spread over [ceiling / 2, ceiling] instead of meeting again. */
  random?: () => number;
}

/** Wait before retry number `attempt + 1` (attempt counts from 1); at least `notBeforeMs`. */
export function backoffMs(attempt: number, o: Backoff, notBeforeMs = 0): number {
  const ceiling = Math.min(o.maxMs ?? Infinity, o.baseMs * 2 ** (attempt - 1));
  const delay = o.random ? ceiling / 2 + (o.random() * ceiling) / 2 : ceiling;
  return Math.max(delay, notBeforeMs);
}
