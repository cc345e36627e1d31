/**
 * Exactly-once effects keyed to the delivery: `once` runs a piece of work at most once per operation and delivery
 * (or per `scope`), remembering the card it answered with, so a redelivered command or a repeated click answers with
 * the first result instead of acting twice. `idempotencyKey` is the same identity as a key for Feishu's own `uuid`.
 */
import { z } from 'zod';
import type { Sealing } from '../auth/seal.js';
import type { Card } from '../card.js';
import type { ActionContext, CommandContext } from '../context.js';
import { deriveKey } from '../keys.js';
import { withClaim } from './claim.js';

/** A command or a card action: both know who asked. */
export type Ctx = CommandContext | ActionContext;

/**
 * The work's stable identity: for a command its dedupe key (the message id Feishu re-pushes under, or an
 * `app.run` origin's own key); for a card action the clicked card, so every click on one card is the same work.
 */
const origin = (ctx: Ctx): string => (ctx.kind === 'action' ? (ctx.messageId ?? ctx.dedupeKey) : ctx.dedupeKey);

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

const cardRecord = z.object({ card: z.record(z.string(), z.unknown()).transform((card) => card as Card) });
/** The remembered card, in clear or (for cards that show a mail's recipients or body) sealed under the claim's key. */
const doneRecord = z.union([cardRecord, z.object({ sealed: z.string() })]);

export type OnceResult = { outcome: 'ran' | 'replayed'; card: Card } | { outcome: 'busy' };

/**
 * Runs `work` at most once per `op` and delivery. The claim is one atomic Store step, so two processes (or two
 * clicks) cannot both start. `resumed` tells `work` that an earlier run claimed it and died before recording its
 * result: its call may or may not have reached Feishu. A failure drops the claim, so retrying runs it again.
 * `busy`: another live run holds it: a card action says so at once; a command first waits for it to finish.
 * `scope` replaces the delivery as the identity when the effect belongs to something else (a chat's mailgroup).
 * `sealer` keeps the remembered card unreadable in the store.
 */
export async function once(
  ctx: Ctx,
  op: string,
  work: (resumed: boolean) => Promise<Card>,
  scope = origin(ctx),
  sealer?: Sealing,
): Promise<OnceResult> {
  const key = `provision:${op}:${scope}`;
  const held = await withClaim(
    ctx.store,
    key,
    {
      ttlMs: ctx.config.app.inbox.dedupeHours * 3_600_000,
      leaseMs: CLAIM_LEASE_MS,
      // A click waits for nobody (its answer is due in 3 s); a command, or an action rerun after a crash, waits.
      waitMs: ctx.kind === 'action' && !ctx.resumed ? 0 : BUSY_WAIT_MS,
      then: { complete: (card) => JSON.stringify(sealer ? { sealed: sealer.seal({ card }, key) } : { card }) },
      onRenewFailed: (err) => ctx.logger.warn({ err, key }, 'could not renew a claim'),
    },
    work,
  );
  if (held.state === 'busy') return { outcome: 'busy' };
  if (held.state === 'done') return { outcome: 'replayed', card: recordedCard(held.result, key, sealer) };
  return { outcome: 'ran', card: held.value };
}

function recordedCard(result: string, key: string, sealer: Sealing | undefined): Card {
  const record = doneRecord.parse(JSON.parse(result));
  if ('card' in record) return record.card;
  const opened = sealer && cardRecord.safeParse(sealer.open(record.sealed, key));
  if (!opened?.success)
    throw new Error(`the recorded result of ${key} cannot be opened: was the encryption key changed?`);
  return opened.data.card;
}
