/**
 * Everything stateful lives behind narrow ports: the durable inbox with its dedupe keys, small key/value records
 * with a TTL (tokens, workflow state), sorted indexes of ids (recent workflow runs), run-once claims for idempotency,
 * and the audit trail.
 * SQLite is the embedded default; Redis (src/store/redis.ts) is for scale-out, held to the same contract tests.
 */

/** One accepted delivery, as persisted before Feishu gets its 200. */
export interface InboxItem {
  /** The store's id for the item, assigned on enqueue and never reused. */
  id: string;
  /** What Feishu would re-send under: message_id, header.event_id or the 1.0 uuid. */
  dedupeKey: string;
  /** Event type, e.g. im.message.receive_v1 or card.action.trigger. */
  type: string;
  /** The decrypted envelope as JSON text. */
  payload: string;
  /** Epoch ms when accepted. */
  receivedAt: number;
  /** How many times a worker has started on it. */
  attempts: number;
}

export type AuditResult = 'ok' | 'error' | 'refused';

export interface AuditRecord {
  at: number;
  /** open_id of the person on whose behalf the bot acted, or "system". */
  actor: string;
  /** e.g. "im.chat.create" */
  action: string;
  /** What was acted on: chat id, mailgroup address, draft id... */
  target: string;
  result: AuditResult;
  detail?: string;
  eventId?: string;
}

/** What the inbox asks the store to keep: the store assigns the id, and no worker has started on it yet. */
export type NewInboxItem = Omit<InboxItem, 'id' | 'attempts'> & {
  /** Not handed out before this time (epoch ms): work scheduled for later, such as a held mail's send. */
  availableAt?: number;
};

/**
 * An enqueue that hands its item straight to a worker (the caller had one free): stored already leased for `leaseMs`
 * (attempts 1, as `lease` would leave it), and given to `started` once committed. A store whose commit precedes its
 * sync (SQLite) calls it before the enqueue resolves, so the worker runs while the disk flushes; the enqueue's promise
 * still resolves only once the item is durable. An item scheduled for later is stored unleased and `started` not called.
 */
export interface EnqueueLease {
  leaseMs: number;
  started: (item: InboxItem) => void;
}

/** The item as the store hands it out, before it has an id and a worker. */
export const toItem = (i: NewInboxItem): Omit<InboxItem, 'id' | 'attempts'> => ({
  dedupeKey: i.dedupeKey,
  type: i.type,
  payload: i.payload,
  receivedAt: i.receivedAt,
});

/** The durable inbox: accepted deliveries, their dedupe keys and worker leases. */
export interface InboxPort {
  /** Persist a delivery unless its dedupe key was seen within `dedupeTtlMs`; with `lease`, see EnqueueLease. */
  enqueue(item: NewInboxItem, dedupeTtlMs: number, lease?: EnqueueLease): Promise<'accepted' | 'duplicate'>;
  /**
   * Lease up to `limit` pending items for `leaseMs`. An item whose lease lapsed (its worker died)
   * can be leased again, which is how work resumes after a crash.
   */
  lease(limit: number, leaseMs: number): Promise<InboxItem[]>;
  /** Extend the lease of an item still being worked on, so a long handler is not handed to a second worker. */
  renew(id: string, leaseMs: number): Promise<void>;
  /** Finished (successfully or with a reported error): never handed out again. */
  finish(id: string): Promise<void>;
  /** Give a leased item back to the queue, to be retried no earlier than `retryAt`. */
  release(id: string, retryAt: number): Promise<void>;
  /** Items accepted and not yet finished. */
  pendingCount(): Promise<number>;
}

/** Small records with a TTL. Write through a `keyspace` (src/store/keyspace.ts): it names the owner and the TTL. */
export interface KvPort {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Atomic create: true when this call stored the value, false when the key already held one. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  delete(key: string): Promise<void>;
}

/**
 * Sorted sets of ids, newest (highest score) first: each call is one atomic step, so instances adding to one index at
 * once lose nothing (a list kept as one key/value record, read-modify-written, lost concurrent adds).
 * An index lives `ttlMs` after its last add and keeps its `keep` highest-scored members. Write through a
 * `sortedIndex` (src/store/keyspace.ts): it names the owner, the TTL and the bound.
 */
export interface IndexPort {
  /** Adds `member` with `score`, or moves it to `score` if present. */
  indexAdd(index: string, member: string, score: number, o: { ttlMs: number; keep: number }): Promise<void>;
  /** Up to `limit` members, highest score first (ties: member descending); none once the index expired. */
  indexList(index: string, limit: number): Promise<string[]>;
}

/**
 * What `claim` found, decided in one atomic step:
 * - fresh: nobody has claimed the key; go.
 * - resumed: an earlier claimant's lease lapsed (it died) before it completed; go, knowing its call may have
 *   reached Feishu.
 * - busy: a live claimant (its lease still running) holds the key; do not act.
 * - done: completed earlier, with the result it stored.
 * `holder` identifies this claim for renewClaim / abandon, so a claimant that was taken over cannot touch its
 * successor's claim.
 */
export type Claim =
  { state: 'fresh' | 'resumed'; holder: string } | { state: 'busy' } | { state: 'done'; result: string };

/** Run-once records for effects Feishu gives no idempotency key (SQLite: one transaction; Redis: SET NX + Lua). */
export interface IdempotencyPort {
  /** Claim `key` for `leaseMs` (renew while working); the record, running or done, lives `ttlMs` from now. */
  claim(key: string, o: { ttlMs: number; leaseMs: number }): Promise<Claim>;
  /** Extend a held claim's lease; false when `holder` no longer holds it (taken over, completed or expired). */
  renewClaim(key: string, holder: string, leaseMs: number): Promise<boolean>;
  /** Store the result: later claims answer `done` with it until the claim's TTL (counted again from now) ends. */
  complete(key: string, holder: string, result: string): Promise<void>;
  /** Drop a held claim after a reported failure: the next claim is `fresh`. */
  abandon(key: string, holder: string): Promise<void>;
}

export interface AuditPort {
  audit(record: AuditRecord): Promise<void>;
  auditLog(limit?: number): Promise<AuditRecord[]>;
}

/** Everything stateful behind one object; each user takes only the ports it needs. */
export interface Store extends InboxPort, KvPort, IndexPort, IdempotencyPort, AuditPort {
  /** Which backend, for /healthz. */
  readonly kind: 'sqlite' | 'redis';
  /** For /healthz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The store could not be reached for a moment (Redis restarting or failing over, its connection reset): work that met
 * this is worth running again, like a Feishu call that got no answer. ioredis reports it as these errors.
 */
export function isStoreUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  return (
    err.name === 'MaxRetriesPerRequestError' ||
    /^Connection is closed/.test(err.message) ||
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE'
  );
}
