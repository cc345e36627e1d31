/**
 * Exactly-once effects keyed to the delivery: work runs at most once per operation and delivery (or per `scope`),
 * and its answer is remembered, so a redelivered command or a repeated click answers with the first result instead
 * of acting twice. Two forms over one claim: the listener middleware `once(op, …)`, which wraps a whole handler,
 * and `runOnce(ctx, op, work)` for a part of one (shared by a command and a button, or followed by cleanup).
 * `idempotencyKey` is the same identity as a key for Feishu's own `uuid`.
 */
import { z } from 'zod';
import type { Sealing } from '../auth/seal.js';
import type { Context, Sender } from '../context.js';
import { deriveKey } from '../keys.js';
import { ContextSlot, type ListenerMiddleware } from '../middleware/listener.js';
import { withClaim } from './claim.js';

/** A command, a card action, or one of the bot's own events on someone's behalf: each knows who asked. */
export type Ctx = Context & { readonly sender: Sender };

/**
 * The work's stable identity: for a command its dedupe key (the message id Feishu re-pushes under, or an
 * `app.run` origin's own key); for a card action the clicked card, so every click on one card is the same work.
 */
const origin = (ctx: Context): string => (ctx.kind === 'action' ? (ctx.messageId ?? ctx.dedupeKey) : ctx.dedupeKey);

/** An idempotency key for `op` of this delivery, short enough for Feishu's uuid (≤ 50 chars). */
export function idempotencyKey(ctx: Ctx, op: string): string {
  return deriveKey(origin(ctx), op);
}

/**
 * How long a claim outlives its claimant's last heartbeat: a run resumed after a crash waits at most this long
 * for the dead run's claim to lapse.
 */
const CLAIM_LEASE_MS = 5_000;
/** How long a command waits for a live claimant (a concurrent run of the same work) before saying so. */
const BUSY_WAIT_MS = 3 * CLAIM_LEASE_MS;

/** `card` is how records written before answers were generic held theirs; they live for the dedupe window. */
const clearRecord = z.union([z.object({ value: z.unknown() }), z.object({ card: z.unknown() })]);
const valueOf = (r: z.infer<typeof clearRecord>): unknown => ('value' in r ? r.value : r.card);
/** The remembered answer, in clear or (for answers that show a mail's recipients or body) sealed under the key. */
const doneRecord = z.union([clearRecord, z.object({ sealed: z.string() })]);

export type OnceResult<T> = { outcome: 'ran' | 'replayed'; value: T } | { outcome: 'busy' };

export interface OnceOptions {
  /** Replaces the delivery as the identity when the effect belongs to something else (a draft, a chat's mailgroup). */
  scope?: string;
  /** Keeps the remembered answer unreadable in the store. */
  sealer?: Sealing;
}

/**
 * Runs `work` at most once per `op` and identity. The claim is one atomic Store step, so two processes (or two
 * clicks) cannot both start. `resumed` tells `work` that an earlier run claimed it and died before recording its
 * result: its call may or may not have reached Feishu. A failure drops the claim, so retrying runs it again.
 * `busy`: another live run holds it: a card action says so at once; a command first waits for it to finish.
 * The answer must survive JSON (cards and toasts do).
 */
export async function runOnce<T>(
  ctx: Context,
  op: string,
  work: (resumed: boolean) => Promise<T>,
  { scope = origin(ctx), sealer }: OnceOptions = {},
): Promise<OnceResult<T>> {
  const key = `provision:${op}:${scope}`;
  const held = await withClaim(
    ctx.store,
    key,
    {
      ttlMs: ctx.config.app.inbox.dedupeHours * 3_600_000,
      leaseMs: CLAIM_LEASE_MS,
      // A click waits for nobody (its answer is due in 3 s); a command, or an action rerun after a crash, waits.
      waitMs: ctx.kind === 'action' && !ctx.resumed ? 0 : BUSY_WAIT_MS,
      then: { complete: (value) => JSON.stringify(sealer ? { sealed: sealer.seal({ value }, key) } : { value }) },
      onRenewFailed: (err) => ctx.logger.warn({ err, key }, 'could not renew a claim'),
    },
    work,
  );
  if (held.state === 'busy') return { outcome: 'busy' };
  if (held.state === 'done') return { outcome: 'replayed', value: recorded(held.result, key, sealer) as T };
  return { outcome: 'ran', value: held.value };
}

function recorded(result: string, key: string, sealer: Sealing | undefined): unknown {
  const record = doneRecord.parse(JSON.parse(result));
  if (!('sealed' in record)) return valueOf(record);
  const opened = sealer && clearRecord.safeParse(sealer.open(record.sealed, key));
  if (!opened?.success)
    throw new Error(`the recorded result of ${key} cannot be opened: was the encryption key changed?`);
  return valueOf(opened.data);
}

/** Whether the listener behind `once` was claimed after a run that died before recording its answer. */
export const claimResumed = new ContextSlot<boolean>('once: the claim');

/**
 * Listener middleware: the handler behind it runs at most once per `op` and delivery (or `scope`), and a repeat is
 * answered with its first answer; `busy` answers while another live run holds it. The handler reads
 * `claimResumed.get(ctx)` to adopt what a crashed predecessor may have made.
 */
export function once<C extends Ctx, A, R>(
  op: string,
  o: { busy: (args: A) => NoInfer<R>; scope?: (args: A) => string; sealer?: Sealing },
): ListenerMiddleware<C, A, R> {
  return async (ctx, args, next) => {
    const done = await runOnce(
      ctx,
      op,
      (resumed) => {
        claimResumed.set(ctx, resumed);
        return next();
      },
      { ...(o.scope ? { scope: o.scope(args) } : {}), ...(o.sealer ? { sealer: o.sealer } : {}) },
    );
    return done.outcome === 'busy' ? o.busy(args) : done.value;
  };
}
