/**
 * The Store contract, reusable by every implementation: `describeStoreContract('sqlite', newBackend)`.
 * A backend hands out Stores over the same data (opening twice = two processes, or a restart), driven by
 * the suite's clock so TTLs and leases are tested without waiting.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { InboxItem, NewInboxItem, Store } from '../src/store/store.js';

export interface StoreBackend {
  /** Open a Store on this backend's data; every call reaches the same data. */
  open(now: () => number): Promise<Store>;
  /** Remove the data. */
  destroy(): Promise<void>;
}

const HOUR = 3_600_000;

export function describeStoreContract(name: string, newBackend: () => Promise<StoreBackend>): void {
  describe(`Store contract: ${name}`, () => {
    let backend: StoreBackend;
    let time: number;
    const now = () => time;
    const opened: Store[] = [];
    const open = async () => {
      const s = await backend.open(now);
      opened.push(s);
      return s;
    };
    let store: Store;
    const item = (dedupeKey: string, extra: Partial<NewInboxItem> = {}): NewInboxItem => ({
      dedupeKey,
      type: 'im.message.receive_v1',
      payload: JSON.stringify({ key: dedupeKey, text: '新员工群 “产品”' }),
      receivedAt: time,
      ...extra,
    });

    beforeEach(async () => {
      time = 1_700_000_000_000;
      backend = await newBackend();
      store = await open();
    });

    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
      await backend.destroy();
    });

    describe('inbox', () => {
      it('accepts a new dedupe key and reports a repeated one as a duplicate', async () => {
        expect(await store.enqueue(item('om_1'), 8 * HOUR)).toBe('accepted');
        expect(await store.enqueue(item('om_1'), 8 * HOUR)).toBe('duplicate');
        expect(await store.enqueue(item('om_2'), 8 * HOUR)).toBe('accepted');
        expect(await store.pendingCount()).toBe(2);
      });

      it('accepts a dedupe key again once its TTL has passed', async () => {
        await store.enqueue(item('om_1'), 8 * HOUR);
        time += 8 * HOUR - 1;
        expect(await store.enqueue(item('om_1'), 8 * HOUR)).toBe('duplicate');
        time += 2;
        expect(await store.enqueue(item('om_1'), 8 * HOUR)).toBe('accepted');
      });

      it('still reports a duplicate after the first copy was completed', async () => {
        await store.enqueue(item('om_1'), 8 * HOUR);
        const [claimed] = await store.lease(1, 30_000);
        await store.finish(claimed!.id);
        expect(await store.enqueue(item('om_1'), 8 * HOUR)).toBe('duplicate');
        expect(await store.pendingCount()).toBe(0);
      });

      it('keeps items and dedupe keys across a reopen', async () => {
        await store.enqueue(item('om_1'), 8 * HOUR);
        await store.close();
        const reopened = await open();
        expect(await reopened.enqueue(item('om_1'), 8 * HOUR)).toBe('duplicate');
        const claimed = await reopened.lease(10, 30_000);
        expect(claimed.map((c) => JSON.parse(c.payload).key)).toEqual(['om_1']);
      });

      it('claims oldest first, up to the limit, counting attempts and keeping the payload intact', async () => {
        const first = item('a');
        await store.enqueue(first, HOUR);
        time += 1;
        await store.enqueue(item('b'), HOUR);
        time += 1;
        await store.enqueue(item('c'), HOUR);
        const claimed = await store.lease(2, 30_000);
        expect(claimed.map((c) => c.dedupeKey)).toEqual(['a', 'b']);
        expect(claimed[0]).toEqual({ ...first, id: expect.any(String), attempts: 1 });
        expect((await store.lease(5, 30_000)).map((c) => c.dedupeKey)).toEqual(['c']);
      });

      it('stores an item leased to its enqueuer when asked, hands it over with attempts 1, and no claim takes it', async () => {
        const started: InboxItem[] = [];
        const lease = { leaseMs: 30_000, started: (i: InboxItem) => started.push(i) };
        expect(await store.enqueue(item('a'), HOUR, lease)).toBe('accepted');
        expect(started).toEqual([{ ...item('a'), id: expect.any(String), attempts: 1 }]);
        expect(await store.enqueue(item('a'), HOUR, lease)).toBe('duplicate');
        expect(started).toHaveLength(1);
        expect(await store.lease(5, 30_000)).toEqual([]);
        time += 30_000; // its worker died: the item is claimed again, as any lapsed lease
        const again = await store.lease(5, 30_000);
        expect(again.map((c) => [c.id, c.attempts])).toEqual([[started[0]!.id, 2]]);
      });

      it('does not hand out a leased item again until its lease lapses', async () => {
        await store.enqueue(item('a'), HOUR);
        expect(await store.lease(5, 30_000)).toHaveLength(1);
        time += 29_999;
        expect(await store.lease(5, 30_000)).toEqual([]);
        time += 1;
        const again = await store.lease(5, 30_000);
        expect(again.map((c) => [c.dedupeKey, c.attempts])).toEqual([['a', 2]]);
      });

      it('renews a lease so a long-running item stays with its worker', async () => {
        await store.enqueue(item('a'), HOUR);
        const [c] = await store.lease(1, 30_000);
        time += 20_000;
        await store.renew(c!.id, 30_000);
        time += 20_000;
        expect(await store.lease(5, 30_000)).toEqual([]);
        time += 10_000;
        expect(await store.lease(5, 30_000)).toHaveLength(1);
      });

      it('never hands out a completed item again', async () => {
        await store.enqueue(item('a'), HOUR);
        const [c] = await store.lease(1, 1_000);
        await store.finish(c!.id);
        time += 10 * HOUR;
        expect(await store.lease(5, 1_000)).toEqual([]);
        expect(await store.pendingCount()).toBe(0);
      });

      it('hands a released item out again no earlier than its retry time', async () => {
        await store.enqueue(item('a'), HOUR);
        const [c] = await store.lease(1, 30_000);
        await store.release(c!.id, time + 5_000);
        expect(await store.pendingCount()).toBe(1);
        time += 4_999;
        expect(await store.lease(1, 30_000)).toEqual([]);
        time += 1;
        expect((await store.lease(1, 30_000))[0]?.attempts).toBe(2);
      });

      it('holds an item scheduled for later until its time, and keeps it across a reopen', async () => {
        await store.enqueue(item('hold_1', { availableAt: time + 10_000 }), 8 * HOUR);
        await store.enqueue(item('om_now'), 8 * HOUR);
        expect((await store.lease(10, 60_000)).map((i) => i.dedupeKey)).toEqual(['om_now']);
        time += 9_999;
        expect(await (await open()).lease(10, 60_000)).toEqual([]);
        time += 1;
        expect((await store.lease(10, 60_000)).map((i) => i.dedupeKey)).toEqual(['hold_1']);
      });

      it('never gives one item to two stores claiming at the same time', async () => {
        const other = await open();
        for (let i = 0; i < 20; i++) await store.enqueue(item(`k${i}`), HOUR);
        const batches = await Promise.all([
          store.lease(7, 30_000),
          other.lease(7, 30_000),
          store.lease(7, 30_000),
          other.lease(7, 30_000),
        ]);
        const ids = batches.flat().map((c) => c.id);
        expect(ids).toHaveLength(20);
        expect(new Set(ids).size).toBe(20);
      });

      it('lets only one of two stores accept the same dedupe key', async () => {
        const other = await open();
        const outcomes = await Promise.all([store.enqueue(item('same'), HOUR), other.enqueue(item('same'), HOUR)]);
        expect(outcomes.sort()).toEqual(['accepted', 'duplicate']);
        expect(await store.pendingCount()).toBe(1);
      });
    });

    describe('key/value', () => {
      it('stores, overwrites and deletes values', async () => {
        expect(await store.get('k')).toBeUndefined();
        await store.set('k', 'v1', HOUR);
        await store.set('k', '值2', HOUR);
        expect(await store.get('k')).toBe('值2');
        await store.delete('k');
        expect(await store.get('k')).toBeUndefined();
      });

      it('forgets a value after its TTL and keeps a longer-lived one', async () => {
        await store.set('short', 'x', 1_000);
        await store.set('long', 'y', 101 * HOUR);
        time += 999;
        expect(await store.get('short')).toBe('x');
        time += 1;
        expect(await store.get('short')).toBeUndefined();
        time += 100 * HOUR;
        expect(await store.get('long')).toBe('y');
      });

      it('setIfAbsent stores only the first value, and again after it expired', async () => {
        expect(await store.setIfAbsent('lock', 'a', 1_000)).toBe(true);
        expect(await store.setIfAbsent('lock', 'b', 1_000)).toBe(false);
        expect(await store.get('lock')).toBe('a');
        time += 1_000;
        expect(await store.setIfAbsent('lock', 'c', 1_000)).toBe(true);
        expect(await store.get('lock')).toBe('c');
      });

      it('setIfAbsent lets exactly one of many concurrent callers win', async () => {
        const other = await open();
        const wins = await Promise.all(
          Array.from({ length: 10 }, (_, i) => (i % 2 ? other : store).setIfAbsent('once', `v${i}`, HOUR)),
        );
        expect(wins.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('sorted indexes', () => {
      const o = { ttlMs: HOUR, keep: 100 };

      it('lists members highest score first (ties by member, descending), limited, moving a member added again', async () => {
        await store.indexAdd('runs', 'onboard:ou_a', 1, o);
        await store.indexAdd('runs', 'onboard:ou_b', 3, o);
        await store.indexAdd('runs', 'onboard:ou_c', 2, o);
        await store.indexAdd('runs', 'onboard:ou_d', 2, o);
        expect(await store.indexList('runs', 10)).toEqual([
          'onboard:ou_b',
          'onboard:ou_d',
          'onboard:ou_c',
          'onboard:ou_a',
        ]);
        await store.indexAdd('runs', 'onboard:ou_a', 4, o);
        expect(await store.indexList('runs', 2)).toEqual(['onboard:ou_a', 'onboard:ou_b']);
        expect(await (await open()).indexList('runs', 10)).toEqual([
          'onboard:ou_a',
          'onboard:ou_b',
          'onboard:ou_d',
          'onboard:ou_c',
        ]);
        expect(await store.indexList('other', 10)).toEqual([]);
      });

      it('keeps only its highest-scored members up to its bound', async () => {
        for (const i of [3, 1, 5, 2, 4]) await store.indexAdd('runs', `r${i}`, i, { ttlMs: HOUR, keep: 3 });
        expect(await store.indexList('runs', 10)).toEqual(['r5', 'r4', 'r3']);
      });

      it('lives its TTL after the last add, then is forgotten, and starts empty when added to again', async () => {
        await store.indexAdd('runs', 'a', 1, o);
        time += HOUR - 1;
        await store.indexAdd('runs', 'b', 2, o);
        time += HOUR - 1;
        expect(await store.indexList('runs', 10)).toEqual(['b', 'a']);
        time += 1;
        expect(await store.indexList('runs', 10)).toEqual([]);
        await store.indexAdd('runs', 'c', 3, o);
        expect(await store.indexList('runs', 10)).toEqual(['c']);
      });

      it('loses none of many adds made at once from two stores', async () => {
        const other = await open();
        const add = (i: number) =>
          (i % 2 ? other : store).indexAdd('runs', `onboard:ou_${i}`, time + i, { ttlMs: HOUR, keep: 200 });
        await Promise.all(Array.from({ length: 60 }, (_, i) => add(i)));
        const listed = await store.indexList('runs', 100);
        expect(listed).toEqual(Array.from({ length: 60 }, (_, i) => `onboard:ou_${59 - i}`));
      });
    });

    describe('idempotency claims', () => {
      const o = { ttlMs: HOUR, leaseMs: 5_000 };

      it('hands a fresh claim to the first caller, busy to the next, and the result once completed', async () => {
        const first = await store.claim('provision:chat:om_1', o);
        expect(first.state).toBe('fresh');
        expect(await store.claim('provision:chat:om_1', o)).toEqual({ state: 'busy' });
        await store.complete('provision:chat:om_1', (first as { holder: string }).holder, '{"card":"已创建"}');
        expect(await store.claim('provision:chat:om_1', o)).toEqual({ state: 'done', result: '{"card":"已创建"}' });
        expect((await store.claim('provision:chat:om_2', o)).state).toBe('fresh');
      });

      it('resumes a claim whose holder stopped renewing, and fences the old holder out', async () => {
        const dead = await store.claim('k', o);
        time += 4_999;
        expect(await store.claim('k', o)).toEqual({ state: 'busy' });
        time += 1;
        const next = await store.claim('k', o);
        expect(next.state).toBe('resumed');
        const oldHolder = (dead as { holder: string }).holder;
        const newHolder = (next as { holder: string }).holder;
        expect(newHolder).not.toBe(oldHolder);
        // The dead holder wakes up: it can neither extend, nor drop, nor complete its successor's claim.
        expect(await store.renewClaim('k', oldHolder, 5_000)).toBe(false);
        await store.abandon('k', oldHolder);
        await store.complete('k', oldHolder, 'stale');
        expect(await store.claim('k', o)).toEqual({ state: 'busy' });
        await store.complete('k', newHolder, 'fresh result');
        expect(await store.claim('k', o)).toEqual({ state: 'done', result: 'fresh result' });
      });

      it('keeps a renewed claim busy for as long as its holder renews it', async () => {
        const c = await store.claim('k', o);
        const holder = (c as { holder: string }).holder;
        for (let i = 0; i < 5; i++) {
          time += 3_000;
          expect(await store.renewClaim('k', holder, 5_000)).toBe(true);
          expect(await store.claim('k', o)).toEqual({ state: 'busy' });
        }
      });

      it('starts afresh after an abandoned claim, and after the record expired', async () => {
        const c = await store.claim('k', o);
        await store.abandon('k', (c as { holder: string }).holder);
        const again = await store.claim('k', o);
        expect(again.state).toBe('fresh');
        await store.complete('k', (again as { holder: string }).holder, 'r');
        time += HOUR - 1;
        expect((await store.claim('k', o)).state).toBe('done');
        time += 1;
        expect((await store.claim('k', o)).state).toBe('fresh');
      });

      it('counts the TTL of a completed record from its completion', async () => {
        const c = await store.claim('k', o);
        time += HOUR / 2;
        await store.complete('k', (c as { holder: string }).holder, 'r');
        time += HOUR - 1;
        expect(await store.claim('k', o)).toEqual({ state: 'done', result: 'r' });
      });

      it('lets exactly one of many concurrent callers on two stores go, the rest see busy', async () => {
        const other = await open();
        const claims = await Promise.all(
          Array.from({ length: 12 }, (_, i) => (i % 2 ? other : store).claim('click:oc_1', o)),
        );
        expect(claims.filter((c) => c.state === 'fresh')).toHaveLength(1);
        expect(claims.filter((c) => c.state === 'busy')).toHaveLength(11);
      });

      it('lets exactly one of two stores resume a lapsed claim', async () => {
        const other = await open();
        await store.claim('k', o);
        time += 5_000;
        const claims = await Promise.all([
          store.claim('k', o),
          other.claim('k', o),
          store.claim('k', o),
          other.claim('k', o),
        ]);
        expect(claims.map((c) => c.state).sort()).toEqual(['busy', 'busy', 'busy', 'resumed']);
      });

      it('shows a result completed on one store to the other', async () => {
        const other = await open();
        const c = await store.claim('k', o);
        await store.complete('k', (c as { holder: string }).holder, '结果');
        expect(await other.claim('k', o)).toEqual({ state: 'done', result: '结果' });
      });
    });

    describe('audit', () => {
      it('returns records newest first, limited, with optional fields only when set', async () => {
        await store.audit({ at: 1, actor: 'ou_a', action: 'im.chat.create', target: 'oc_1', result: 'ok' });
        await store.audit({
          at: 2,
          actor: 'system',
          action: 'inbox.give_up',
          target: 'x',
          result: 'error',
          detail: '失败',
          eventId: 'ev1',
        });
        await store.audit({ at: 3, actor: 'ou_b', action: 'mail.send', target: 'd1', result: 'refused' });
        const log = await store.auditLog(2);
        expect(log).toEqual([
          { at: 3, actor: 'ou_b', action: 'mail.send', target: 'd1', result: 'refused' },
          {
            at: 2,
            actor: 'system',
            action: 'inbox.give_up',
            target: 'x',
            result: 'error',
            detail: '失败',
            eventId: 'ev1',
          },
        ]);
        expect(await store.auditLog()).toHaveLength(3);
      });
    });

    describe('health', () => {
      it('pings while open and fails to ping once closed', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
        await store.close();
        await expect(store.ping()).rejects.toThrow();
      });
    });
  });
}
