/**
 * Everything stateful lives behind this one interface: the durable inbox with its dedupe keys,
 * small key/value records with a TTL (idempotency marks, tokens, workflow state), locks and the audit trail.
 * SQLite is the embedded default; a Redis implementation follows for scale-out, against the same contract tests.
 */

/** One accepted delivery, as persisted before Feishu gets its 200. */
export interface InboxItem {
  /** Our own id for the item (unique). */
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

export interface Store {
  /** Persist a delivery unless its dedupe key was seen within `dedupeTtlMs`. */
  enqueue(item: Omit<InboxItem, 'attempts'>, dedupeTtlMs: number): Promise<'accepted' | 'duplicate'>;
  /**
   * Lease up to `limit` pending items for `leaseMs`. An item whose lease lapsed (its worker died)
   * becomes claimable again, which is how work resumes after a crash.
   */
  claim(limit: number, leaseMs: number): Promise<InboxItem[]>;
  /** Extend the lease of an item still being worked on, so a long handler is not handed to a second worker. */
  renew(id: string, leaseMs: number): Promise<void>;
  /** Finished (successfully or with a reported error): never handed out again. */
  complete(id: string): Promise<void>;
  /** Give a claimed item back to the queue, to be retried no earlier than `retryAt`. */
  release(id: string, retryAt: number): Promise<void>;
  /** Items accepted and not yet completed. */
  pendingCount(): Promise<number>;

  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** Atomic create: true when this call stored the value, false when the key already held one. */
  setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean>;
  delete(key: string): Promise<void>;

  audit(record: AuditRecord): Promise<void>;
  auditLog(limit?: number): Promise<AuditRecord[]>;

  /** For /healthz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
