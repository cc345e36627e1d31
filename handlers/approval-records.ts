/**
 * Approval requests as records: one per parked command or click, its fate changed only under a per-request lock (one
 * atomic Store claim), so two approvers clicking at once, a repeated callback, an expiry sweep and a withdrawal meet
 * in order and exactly one decision stands. What runs (the command's arguments, its text) is sealed; the cards of a
 * request are remembered so every one of them shows the decision.
 */
import { z } from 'zod';
import { approvalDecidedCard, type ApprovalRequestView, type ApprovalStatus, type Card } from '../cards/index.js';
import type { ResumedAction, ResumedCommand } from '../src/app.js';
import type { Sealing } from '../src/auth/seal.js';
import type { Delivery } from '../src/delivery.js';
import { withClaim } from '../src/effects/claim.js';
import { APPROVAL_APPROVED, internalDelivery } from '../src/events.js';
import type { FeishuPorts } from '../src/feishu/ports.js';
import { textSchema } from '../src/i18n.js';
import type { Logger } from '../src/log.js';
import { keyspace, sortedIndex } from '../src/store/keyspace.js';
import type { IdempotencyPort, IndexPort, KvPort } from '../src/store/store.js';
import { utcTime } from './sign-in.js';

const DAY = 86_400_000;
/** Decided requests stay listed (and their cards updatable) this long after they expire. */
const KEEP_MS = 30 * DAY;

export const STATUSES = ['pending', 'approved', 'running', 'done', 'rejected', 'withdrawn', 'expired'] as const;

const requestRecord = z.object({
  id: z.string(),
  /** The command whose `approve` rule decides (an action's followed command). */
  rule: z.string(),
  approve: z.array(z.string()),
  /** Who may approve, by name, for the cards. */
  approverNames: textSchema,
  requester: z.object({ openId: z.string(), name: z.string() }),
  chatId: z.string().optional(),
  chatType: z.string().optional(),
  mode: z.enum(['card', 'feishu']),
  instanceCode: z.string().optional(),
  twoPerson: z.boolean(),
  status: z.enum(STATUSES),
  createdAt: z.number(),
  expiresAt: z.number(),
  decision: z.object({ by: z.string(), name: z.string(), at: z.number(), reason: z.string().optional() }).optional(),
  /** How the run went: the app's outcome ("ok", "refused", …). */
  outcome: z.string().optional(),
  /** What runs, sealed under the request's key: see `Parked`. */
  sealed: z.string(),
});
export type RequestRecord = z.infer<typeof requestRecord>;

/** What a request runs once approved, and the line its cards show. */
export type Parked = { line: string } & (
  { kind: 'command'; command: ResumedCommand } | { kind: 'action'; action: ResumedAction }
);
const parkedSchema = z.object({
  line: z.string(),
  kind: z.enum(['command', 'action']),
  command: z.looseObject({ command: z.string(), args: z.record(z.string(), z.unknown()) }).optional(),
  action: z.looseObject({ action: z.string(), args: z.record(z.string(), z.unknown()) }).optional(),
});

export const requests = keyspace('approval', requestRecord, KEEP_MS);
/** Message ids of the request's cards (the requester's first), written once when the request is made. */
export const requestCards = keyspace('approval-cards', z.array(z.string()), KEEP_MS);
/** Native mode: instance code → request id. */
export const instances = keyspace('approval-instance', z.string(), KEEP_MS);
/** Every request by creation, under "all": the sweep and the approvers' list read it; records say which still wait. */
export const openRequests = sortedIndex('approval-open', { ttlMs: KEEP_MS, keep: 500 });
/** A requester's requests, under their open_id. */
export const requestsBy = sortedIndex('approval-by', { ttlMs: KEEP_MS, keep: 50 });

export interface ApprovalStore extends KvPort, IdempotencyPort {}

const aad = (id: string) => `approval:${id}`;
export const sealParked = (sealer: Sealing, id: string, p: Parked): string => sealer.seal(p, aad(id));

export function openParked(sealer: Sealing, r: RequestRecord): Parked | undefined {
  const p = parkedSchema.safeParse(sealer.open(r.sealed, aad(r.id)));
  if (!p.success) return undefined;
  const { line, kind, command, action } = p.data;
  if (kind === 'command' && command) return { line, kind, command: command as ResumedCommand };
  if (kind === 'action' && action) return { line, kind, action: action as ResumedAction };
  return undefined;
}

const LOCK_LEASE_MS = 3_000;
/** A click waits this long for another decision on the same request (it answers within Feishu's 3 s). */
export const CLICK_WAIT_MS = 1_800;

export type Changed =
  | { state: 'changed'; record: RequestRecord }
  | { state: 'unchanged'; record: RequestRecord }
  | { state: 'gone' }
  | { state: 'busy' };

/**
 * Runs `work` under the request's lock (one atomic Store claim): a request's status and its cards change only under
 * it, so cards show the states in the order the record went through them. `busy`: held longer than `waitMs`.
 */
export async function locked<T>(
  store: ApprovalStore,
  id: string,
  waitMs: number,
  work: () => Promise<T>,
): Promise<{ state: 'ran'; value: T } | { state: 'busy' }> {
  const held = await withClaim(
    store,
    `approval-lock:${id}`,
    { ttlMs: 60_000, leaseMs: LOCK_LEASE_MS, waitMs, then: 'release' },
    work,
  );
  return held.state === 'ran' ? { state: 'ran', value: held.value } : { state: 'busy' };
}

/**
 * Reads the request and writes `f(record)` (undefined: leave it) under its lock: the one way a request's status
 * changes. `then` runs under the lock too once it changed (showing the new state on the request's cards).
 */
export async function change(
  store: ApprovalStore,
  id: string,
  waitMs: number,
  f: (r: RequestRecord) => Partial<RequestRecord> | undefined,
  then?: (r: RequestRecord) => Promise<void>,
): Promise<Changed> {
  const held = await locked(store, id, waitMs, async (): Promise<Changed> => {
    const r = await requests.get(store, id);
    if (!r) return { state: 'gone' as const };
    const patch = f(r);
    if (!patch) return { state: 'unchanged' as const, record: r };
    const next = { ...r, ...patch };
    await requests.set(store, id, next);
    await then?.(next);
    return { state: 'changed' as const, record: next };
  });
  return held.state === 'ran' ? held.value : { state: 'busy' };
}

export const isExpired = (r: RequestRecord, now: number) => r.status === 'pending' && now >= r.expiresAt;

export function viewOf(r: RequestRecord, parked: Parked | undefined): ApprovalRequestView {
  return {
    line: parked?.line ?? `/${r.rule}`,
    requester: r.requester.name,
    approvers: r.approverNames,
    expires: utcTime(r.expiresAt),
    native: r.mode === 'feishu',
    twoPerson: r.twoPerson,
  };
}

export function decidedCard(r: RequestRecord, parked: Parked | undefined): Card {
  return approvalDecidedCard(viewOf(r, parked), {
    status: r.status as Exclude<ApprovalStatus, 'pending'>,
    ...(r.decision ? { by: r.decision.name } : {}),
    ...(r.decision?.reason ? { reason: r.decision.reason } : {}),
    ...(r.outcome ? { outcome: r.outcome } : {}),
  });
}

/**
 * Every card of the request shows its decision; `except` (the clicked card) is answered by its callback instead.
 * A card that cannot be updated is logged, and the others still are.
 */
export async function showDecision(
  d: { gateway: FeishuPorts; store: KvPort; sealer: Sealing; logger: Logger },
  r: RequestRecord,
  except?: string,
): Promise<Card> {
  const card = decidedCard(r, openParked(d.sealer, r));
  for (const messageId of (await requestCards.get(d.store, r.id)) ?? []) {
    if (messageId === except) continue;
    await d.gateway.im
      .patchCard(messageId, card)
      .catch((err: unknown) => d.logger.warn({ err, request: r.id, messageId }, 'could not update an approval card'));
  }
  return card;
}

/** The inbox item that runs an approved request: one per request (its id is the dedupe key), so it runs once. */
export const approvedDelivery = (id: string, now: number): Delivery =>
  internalDelivery(APPROVAL_APPROVED, { request: id }, `approval_${id}`, now);

/** The open requests index, as records (newest first). */
export async function listed(store: KvPort & IndexPort, ids: string[]): Promise<RequestRecord[]> {
  const found = await Promise.all(ids.map((id) => requests.get(store, id)));
  return found.filter((r): r is RequestRecord => r !== undefined);
}
