/**
 * The ack-first durable inbox. `accept` persists a delivery (with dedupe) before the receiver answers 200;
 * a worker pool drains the store with leases, so work survives a crash at any point: an unclaimed item is
 * picked up on start, a claimed one once its lease lapses. Effects are at-least-once; handlers stay idempotent.
 */
import type { Sealing } from '../auth/seal.js';
import { backoffMs } from '../backoff.js';
import type { Delivery, DeliveryHandler } from '../delivery.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { deliveryFromPayload } from '../protocol/envelope.js';
import { z } from 'zod';
import { runInSlot, type Slot } from '../slots.js';
import { keyspace } from '../store/keyspace.js';
import type { AuditPort, InboxItem, InboxPort, KvPort } from '../store/store.js';

export interface InboxOptions {
  concurrency: number;
  /** How long a dedupe key is remembered; Feishu re-pushes for about 7.1 h. */
  dedupeTtlMs: number;
  /** A crashed worker's item is retried after this long; a live worker renews at a third of it. */
  leaseMs?: number;
  /** Runs of one item before it is completed as failed (with a log line and an audit record). */
  maxAttempts?: number;
  /** Wait before retry number `attempt + 1`. */
  retryDelayMs?: (attempt: number) => number;
  /** Slow poll for lapsed leases and due retries; accepts wake the workers at once. */
  pollMs?: number;
  now?: () => number;
}

export interface InboxDeps {
  store: InboxPort & KvPort & AuditPort;
  handler: Pick<DeliveryHandler, 'handleEvent'>;
  logger: Logger;
  metrics: Metrics;
  /**
   * Seals each payload before it is stored: a message's text (a /draft body, a Bcc) is never on disk in clear, not
   * even in the WAL frames a finished item leaves behind. Without it payloads are stored as JSON.
   */
  sealer?: Sealing;
}

export type AcceptOutcome = 'accepted' | 'duplicate';

/** Card clicks seen, by dedupe key; written with the configured dedupe window as TTL (the default is 24 h). */
const payloadAad = (dedupeKey: string) => `inbox:${dedupeKey}`;

const callbacks = keyspace('callback', z.object({ id: z.string(), type: z.string(), at: z.number() }), 24 * 3_600_000);

/**
 * Acknowledgements come first: while this many pushes wait for their write to be durable, at most a quarter of the
 * workers (at least one) start new items. A burst is then answered at the rate the disk allows, Feishu sees no
 * timeout (and so re-pushes nothing), and the backlog it leaves is durable and drained at full concurrency the moment
 * the burst eases; under light load no push waits for another and nothing changes.
 */
const BURST_ACCEPTS = 4;

/** Items parked in a rate or retry wait (src/slots.ts) free their slot; at most this many times `concurrency` are held. */
const PARKED_PER_SLOT = 8;

const exponentialBackoff = (attempt: number): number => backoffMs(attempt, { baseMs: 1000, maxMs: 5 * 60_000 });

export class Inbox {
  private readonly store: InboxDeps['store'];
  private readonly opts: Required<InboxOptions>;
  private readonly running = new Map<string, Promise<void>>();
  /** Pushes whose write is not yet durable (their acknowledgement waits for it). */
  private accepting = 0;
  /** Worker slots promised to accepts whose item a worker takes as soon as it is committed. */
  private handingOff = 0;
  /** Running items that wait in a parked state: they do not count against `concurrency`. */
  private parkedCount = 0;
  private readonly slot: Slot = {
    park: () => {
      this.parkedCount++;
      this.wake();
    },
    unpark: () => {
      this.parkedCount--;
    },
  };
  /** Outcome writes (complete, release, give-up) still in flight: their slot is already free, stop() waits for them. */
  private readonly settling = new Set<Promise<void>>();
  private started = false;
  private pumping = false;
  private pumpAgain = false;
  private poller: NodeJS.Timeout | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly deps: InboxDeps,
    opts: InboxOptions,
  ) {
    this.store = deps.store;
    this.opts = {
      leaseMs: 30_000,
      maxAttempts: 5,
      retryDelayMs: exponentialBackoff,
      pollMs: 1_000,
      now: Date.now,
      ...opts,
    };
  }

  private encode(d: Delivery): string {
    const { sealer } = this.deps;
    return sealer ? sealer.seal(d.payload, payloadAad(d.dedupeKey)) : JSON.stringify(d.payload);
  }

  /** A sealed payload, or a JSON one (stored before sealing, or by an inbox without a sealer). */
  private decode(item: InboxItem): unknown {
    if (item.payload.startsWith('{')) return JSON.parse(item.payload);
    const opened = this.deps.sealer?.open(item.payload, payloadAad(item.dedupeKey));
    if (opened === undefined)
      throw new Error('the payload is sealed under another key (was TOKEN_ENCRYPTION_KEY changed?)');
    return opened;
  }

  /**
   * Persist an event for the workers. Resolves only once it is durable. With a worker free, the item is stored leased
   * to it and the worker starts as soon as the write is committed, while the disk flushes: no claim of its own, no
   * wake-up. Its effects may then precede the acknowledgement; should the machine die before the flush, Feishu
   * re-pushes the unacknowledged event, and the rerun's replies and claims derive from the same dedupe key (a reply
   * uuid Feishu dedupes, a `once` record: any durable write of the rerun's handler is synced after the item's own).
   */
  async accept(d: Delivery): Promise<AcceptOutcome> {
    this.accepting++;
    let promised = this.started && this.freeSlots() > 0;
    if (promised) this.handingOff++;
    const keep = () => {
      if (!promised) return false;
      promised = false;
      this.handingOff--;
      return true;
    };
    let outcome: AcceptOutcome;
    let handed = false;
    try {
      outcome = await this.store.enqueue(
        {
          dedupeKey: d.dedupeKey,
          type: d.type,
          payload: this.encode(d),
          receivedAt: d.receivedAt,
          ...(d.notBefore ? { availableAt: d.notBefore } : {}),
        },
        this.opts.dedupeTtlMs,
        promised
          ? {
              leaseMs: this.opts.leaseMs,
              started: (item) => {
                handed = keep();
                this.work(item, d.payload);
              },
            }
          : undefined,
      );
    } finally {
      this.accepting--;
      keep();
    }
    // Also when a burst has just eased: the workers held back for it take up their slots again.
    if ((outcome === 'accepted' && !handed) || this.accepting === BURST_ACCEPTS - 1) this.wake();
    return outcome;
  }

  /**
   * Card callbacks are answered synchronously, not queued: this only records the click so a second push of it
   * (new and legacy subscriptions both deliver) runs no handler.
   */
  async recordCallback(d: Delivery): Promise<AcceptOutcome> {
    const first = await callbacks.setIfAbsent(
      this.store,
      d.dedupeKey,
      { id: d.id, type: d.type, at: d.receivedAt },
      this.opts.dedupeTtlMs,
    );
    return first ? 'accepted' : 'duplicate';
  }

  depth(): Promise<number> {
    return this.store.pendingCount();
  }

  /** Items this process is running now (the store's depth counts every instance's). */
  inFlight(): number {
    return this.running.size;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.poller = setInterval(() => this.wake(), this.opts.pollMs);
    this.poller.unref();
    this.wake();
  }

  /**
   * Stop claiming, wait up to `drainMs` for running handlers. Whatever is still running stays leased in the store
   * and is retried after the lease lapses (on this or the next process).
   */
  async stop({ drainMs = 10_000 }: { drainMs?: number } = {}): Promise<{ unfinished: number }> {
    this.started = false;
    clearInterval(this.poller);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((r) => {
      timer = setTimeout(r, drainMs);
    });
    await Promise.race([Promise.allSettled([...this.running.values()]), deadline]);
    clearTimeout(timer);
    await Promise.allSettled([...this.settling]);
    const unfinished = this.running.size;
    if (unfinished)
      this.deps.logger.warn(
        { unfinished },
        'inbox stopped with handlers still running; they resume after their lease lapses',
      );
    return { unfinished };
  }

  private wake(): void {
    if (!this.started) return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    // Deferred to the end of the turn, so the accepts and completions of one turn cost one claim for every free slot
    // rather than one claim each.
    setImmediate(
      () =>
        void this.pump().finally(() => {
          this.pumping = false;
          if (this.pumpAgain) {
            this.pumpAgain = false;
            this.wake();
          }
        }),
    );
  }

  private async pump(): Promise<void> {
    while (this.started && this.freeSlots() > 0) {
      let items: InboxItem[];
      try {
        items = await this.store.lease(this.freeSlots(), this.opts.leaseMs);
      } catch (err) {
        this.deps.logger.error({ err }, 'inbox lease failed; retrying on the next poll');
        return;
      }
      if (!items.length) return;
      if (!this.started) {
        // stop() came while claiming: hand the items straight back rather than leaving them leased.
        await Promise.all(items.map((i) => this.store.release(i.id, this.opts.now()))).catch((err: unknown) =>
          this.deps.logger.warn(
            { err },
            'could not release items claimed during stop; they resume after their lease lapses',
          ),
        );
        return;
      }
      for (const item of items) this.work(item);
    }
  }

  /**
   * Runs a leased item in a worker slot; one handed over while stopping goes back to the queue. `payload`: the item's,
   * when the caller still holds it (an accept hands it over), so it is not opened again.
   */
  private work(item: InboxItem, payload?: unknown): void {
    if (!this.started) {
      const back = this.store.release(item.id, this.opts.now());
      return this.settle(back, () => this.deps.logger.child({ inboxId: item.id }));
    }
    const run = this.run(item, payload)
      .catch((err: unknown) => {
        this.deps.logger.error(
          { err, inboxId: item.id },
          'inbox worker failed; the item runs again after its lease lapses',
        );
      })
      .finally(() => {
        this.running.delete(item.id);
        this.wake();
      });
    this.running.set(item.id, run);
  }

  private freeSlots(): number {
    const active = this.running.size - this.parkedCount + this.handingOff;
    const { concurrency } = this.opts;
    const allowed = this.accepting >= BURST_ACCEPTS ? Math.max(1, Math.floor(concurrency / 4)) : concurrency;
    return Math.min(allowed - active, concurrency * PARKED_PER_SLOT - this.running.size);
  }

  /**
   * Runs the handler, then submits the outcome write without waiting for its commit: the slot frees at once, so
   * the next claim shares the outcome's transaction instead of waiting a commit behind it.
   */
  private async run(item: InboxItem, payload?: unknown): Promise<void> {
    const { logger, metrics } = this.deps;
    // Child loggers are built only when a line is written: most items log nothing above debug.
    let itemLog: Logger | undefined;
    const log = () => (itemLog ??= logger.child({ inboxId: item.id, type: item.type, attempt: item.attempts }));
    let delivery: Delivery;
    try {
      delivery = deliveryFromPayload(payload ?? this.decode(item), item.receivedAt);
    } catch (err) {
      this.settle(this.giveUp(item, log(), `unreadable payload: ${(err as Error).message}`), log);
      return;
    }
    let eventLog: Logger | undefined;
    const elog = () => (eventLog ??= log().child({ eventId: delivery.id }));
    // A run that crashed the process leaves no error behind: attempts count claims, so a poison item stops here.
    if (item.attempts > this.opts.maxAttempts) {
      this.settle(this.giveUp(item, elog(), `claimed ${item.attempts - 1} times without finishing`, delivery.id), elog);
      return;
    }

    const renew = setInterval(
      () => {
        this.store
          .renew(item.id, this.opts.leaseMs)
          .catch((err: unknown) => elog().warn({ err }, 'lease renewal failed'));
      },
      Math.max(1, Math.floor(this.opts.leaseMs / 3)),
    );
    renew.unref();
    const end = metrics.handlerSeconds.startTimer({ kind: 'event', name: delivery.type });
    let failure: unknown;
    try {
      await runInSlot(this.slot, () =>
        this.deps.handler.handleEvent({ ...delivery, finalAttempt: item.attempts >= this.opts.maxAttempts }),
      );
    } catch (err) {
      failure = err ?? new Error('handler rejected without a reason');
    } finally {
      clearInterval(renew);
    }

    this.settle(
      (async () => {
        if (failure === undefined) {
          end({ outcome: 'ok' });
          await this.store.finish(item.id);
          if (logger.isLevelEnabled('debug')) elog().debug('event handled');
        } else if (item.attempts >= this.opts.maxAttempts) {
          end({ outcome: 'error' });
          await this.giveUp(
            item,
            elog(),
            `handler failed ${item.attempts} times, last: ${errorText(failure)}`,
            delivery.id,
            failure,
          );
        } else {
          end({ outcome: 'retry' });
          const delay = this.opts.retryDelayMs(item.attempts);
          await this.store.release(item.id, this.opts.now() + delay);
          elog().warn({ err: failure, retryInMs: delay }, 'event handler failed; will retry');
          this.wakeAfter(delay);
        }
      })(),
      elog,
    );
  }

  private settle(outcome: Promise<void>, log: () => Logger): void {
    const p = outcome
      .catch((err: unknown) =>
        log().error({ err }, 'could not record the outcome of an event; it will run again after its lease lapses'),
      )
      .finally(() => this.settling.delete(p));
    this.settling.add(p);
  }

  /** Completes an item that will never succeed, leaving a log line and an audit record rather than a silent loss. */
  private async giveUp(item: InboxItem, log: Logger, detail: string, eventId?: string, err?: unknown): Promise<void> {
    log.error({ err, dedupeKey: item.dedupeKey }, `giving up on an event: ${detail}`);
    await this.store.audit({
      at: this.opts.now(),
      actor: 'system',
      action: 'inbox.give_up',
      target: item.type,
      result: 'error',
      detail,
      ...(eventId ? { eventId } : {}),
    });
    await this.store.finish(item.id);
  }

  private wakeAfter(ms: number): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.wake();
    }, ms);
    t.unref();
    this.timers.add(t);
  }
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
