/**
 * The one claim loop: everything that must run at most once at a time across processes (an effect keyed to a
 * delivery, a workflow run's driver) takes the Store's atomic claim, renews its lease while working, and then
 * records a result or gives the claim back. A claimant that died leaves a lapsed lease: the next claim is `resumed`.
 *
 *   const held = await withClaim(store, key, { ttlMs, leaseMs, waitMs: 15_000 }, async (resumed) => work(resumed));
 *   if (held.state === 'ran') use(held.value);
 */
import type { IdempotencyPort } from '../store/store.js';

export interface ClaimOptions<T> {
  /** How long the record lives, running or done. */
  ttlMs: number;
  /** How long the claim outlives its claimant's last heartbeat; renewed every third of it while the work runs. */
  leaseMs: number;
  /** How long to wait for a live claimant before answering `busy` (default: not at all). */
  waitMs?: number;
  /**
   * After the work: `complete` records its result (later claims answer `done` with it), `release` gives the claim
   * back (a lock only: the work's own records say what is done).
   */
  then: { complete: (value: T) => string } | 'release';
  /** Told when a heartbeat could not renew the lease (the work goes on; another claimant may take over). */
  onRenewFailed?: (err: unknown) => void;
  sleep?: (ms: number) => Promise<void>;
}

export type Held<T> =
  { state: 'ran'; value: T; resumed: boolean } | { state: 'busy' } | { state: 'done'; result: string };

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function withClaim<T>(
  store: IdempotencyPort,
  key: string,
  o: ClaimOptions<T>,
  work: (resumed: boolean) => Promise<T>,
): Promise<Held<T>> {
  const sleep = o.sleep ?? pause;
  // Counted, not timed, so a test clock that stands still cannot make it wait forever.
  const poll = o.leaseMs / 5;
  const claimOf = () => store.claim(key, { ttlMs: o.ttlMs, leaseMs: o.leaseMs });
  let claim = await claimOf();
  for (let waited = 0; claim.state === 'busy' && waited < (o.waitMs ?? 0); waited += poll) {
    await sleep(poll);
    claim = await claimOf();
  }
  if (claim.state === 'busy') return { state: 'busy' };
  if (claim.state === 'done') return { state: 'done', result: claim.result };
  const { holder } = claim;
  const heartbeat = setInterval(() => {
    store.renewClaim(key, holder, o.leaseMs).catch((err: unknown) => o.onRenewFailed?.(err));
  }, o.leaseMs / 3);
  let value: T;
  try {
    value = await work(claim.state === 'resumed');
  } catch (err) {
    // A reported failure leaves nothing behind to adopt: the next claim starts afresh.
    await store.abandon(key, holder);
    throw err;
  } finally {
    clearInterval(heartbeat);
  }
  if (o.then === 'release') await store.abandon(key, holder);
  else await store.complete(key, holder, o.then.complete(value));
  return { state: 'ran', value, resumed: claim.state === 'resumed' };
}
