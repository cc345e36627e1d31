import { fdatasync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { openStore } from '../src/store/index.js';
import { SqliteStore } from '../src/store/sqlite.js';
import type { InboxItem } from '../src/store/store.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'store-contract-'));
  return {
    open: async (now) => new SqliteStore(join(dir, 'bot.sqlite'), { now }),
    destroy: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('SqliteStore specifics', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'store-sqlite-'));
    dirs.push(d);
    return d;
  };
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('keeps one WAL-mode file in the data dir chosen by the config', async () => {
    const dir = join(tempDir(), 'nested', 'data');
    const store = await openStore(parseConfig({ store: { kind: 'sqlite', file: 'events.sqlite' } }, {}), dir);
    await store.set('k', 'v', 60_000);
    const db = new Database(join(dir, 'events.sqlite'), { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.prepare('SELECT value FROM kv WHERE key = ?').pluck().get('k')).toBe('v');
    } finally {
      db.close();
      await store.close();
    }
  });

  it('deletes expired dedupe keys, kv rows and indexes instead of keeping them forever', async () => {
    const file = join(tempDir(), 'bot.sqlite');
    let time = 1_700_000_000_000;
    const store = new SqliteStore(file, { now: () => time });
    await store.enqueue({ dedupeKey: 'om_old', type: 't', payload: '{}', receivedAt: time }, 60_000);
    await store.set('old', 'v', 60_000);
    await store.indexAdd('old', 'run', time, { ttlMs: 60_000, keep: 10 });
    time += 2 * 60 * 60_000;
    await store.set('fresh', 'v', 60_000); // any write may sweep
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare('SELECT COUNT(*) FROM dedupe').pluck().get()).toBe(0);
      expect(db.prepare('SELECT key FROM kv').pluck().all()).toEqual(['fresh']);
      expect(db.prepare('SELECT COUNT(*) FROM sorted_index').pluck().get()).toBe(0);
    } finally {
      db.close();
      await store.close();
    }
  });

  it('keeps the pending items of a file written with text inbox ids, in order, and gives them new ids', async () => {
    const file = join(tempDir(), 'bot.sqlite');
    const old = new Database(file);
    // The schema of version 0, as a file from before this release has it.
    old.exec(`CREATE TABLE inbox (id TEXT PRIMARY KEY, dedupe_key TEXT NOT NULL, type TEXT NOT NULL, payload TEXT NOT NULL,
        received_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, available_at INTEGER NOT NULL);
      CREATE INDEX inbox_available ON inbox (available_at, received_at);
      CREATE TABLE dedupe (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);`);
    const add = old.prepare('INSERT INTO inbox VALUES (?, ?, ?, ?, ?, ?, ?)');
    add.run('9b2f-uuid', 'om_second', 'im.message.receive_v1', '{"n":2}', 2, 1, 0);
    add.run('1a0c-uuid', 'om_first', 'im.message.receive_v1', '{"n":1}', 1, 0, 0);
    old.prepare('INSERT INTO dedupe VALUES (?, ?)').run('om_first', Date.now() + 3_600_000);
    old.close();

    const store = new SqliteStore(file);
    try {
      const items = await store.lease(10, 30_000);
      expect(items.map((i) => [i.dedupeKey, i.payload, i.attempts])).toEqual([
        ['om_first', '{"n":1}', 1],
        ['om_second', '{"n":2}', 2],
      ]);
      expect(items.every((i) => /^\d+$/.test(i.id))).toBe(true);
      expect(await store.enqueue({ dedupeKey: 'om_first', type: 't', payload: '{}', receivedAt: 3 }, 3_600_000)).toBe(
        'duplicate',
      );
      await Promise.all(items.map((i) => store.finish(i.id)));
      expect(await store.pendingCount()).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('opens a file of the previous schema (no sorted_index table) with its data, and indexes work on it', async () => {
    const file = join(tempDir(), 'bot.sqlite');
    const before = new SqliteStore(file);
    await before.set('k', 'v', 3_600_000);
    await before.close();
    const old = new Database(file);
    old.exec('DROP TABLE sorted_index; PRAGMA user_version = 1;');
    old.close();

    const store = new SqliteStore(file);
    try {
      expect(await store.get('k')).toBe('v');
      await store.indexAdd('runs', 'onboard:ou_a', 1, { ttlMs: 3_600_000, keep: 10 });
      expect(await store.indexList('runs', 10)).toEqual(['onboard:ou_a']);
    } finally {
      await store.close();
    }
  });

  it('never reuses the id of a finished item, so a late finish cannot remove a newer one', async () => {
    const store = new SqliteStore(join(tempDir(), 'bot.sqlite'));
    try {
      await store.enqueue({ dedupeKey: 'om_1', type: 't', payload: '{}', receivedAt: 1 }, 3_600_000);
      const [first] = await store.lease(1, 30_000);
      await store.finish(first!.id);
      await store.enqueue({ dedupeKey: 'om_2', type: 't', payload: '{}', receivedAt: 2 }, 3_600_000);
      await store.finish(first!.id); // a worker whose lease had lapsed, finishing late
      const [second] = await store.lease(1, 30_000);
      expect(second?.dedupeKey).toBe('om_2');
      expect(second?.id).not.toBe(first!.id);
    } finally {
      await store.close();
    }
  });

  it('says which file it could not open and what to check', () => {
    expect(() => new SqliteStore(join(tempDir(), 'missing-dir', 'bot.sqlite'))).toThrow(
      /cannot open the SQLite store at .*missing-dir.*DATA_DIR/,
    );
  });

  describe('group commit (writes asked for in one turn share a transaction)', () => {
    const HOUR = 3_600_000;
    const item = (name: string, dedupeKey: string) => ({
      dedupeKey,
      type: 'im.message.receive_v1',
      payload: JSON.stringify({ name }),
      receivedAt: 1,
    });

    it('accepts a dedupe key once when it is repeated within one batch', async () => {
      const store = new SqliteStore(join(tempDir(), 'bot.sqlite'));
      try {
        const outcomes = await Promise.all([
          store.enqueue(item('i1', 'om_same'), HOUR),
          store.enqueue(item('i2', 'om_same'), HOUR),
        ]);
        expect(outcomes).toEqual(['accepted', 'duplicate']);
        expect(await store.pendingCount()).toBe(1);
      } finally {
        await store.close();
      }
    });

    it('fails only the write that broke, rolling back its dedupe key, and commits the rest of the batch', async () => {
      const store = new SqliteStore(join(tempDir(), 'bot.sqlite'));
      try {
        // The second write has no payload: its insert violates NOT NULL after its dedupe key was set.
        const outcomes = await Promise.allSettled([
          store.enqueue(item('i1', 'om_1'), HOUR),
          store.enqueue({ ...item('i2', 'om_2'), payload: null as unknown as string }, HOUR),
          store.enqueue(item('i3', 'om_3'), HOUR),
        ]);
        expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
        expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_CONSTRAINT_NOTNULL' });
        expect((await store.lease(10, 30_000)).map((c) => c.dedupeKey)).toEqual(['om_1', 'om_3']);
        // Its savepoint was rolled back, so a re-push of the failed event is not mistaken for a duplicate.
        expect(await store.enqueue(item('i2', 'om_2'), HOUR)).toBe('accepted');
      } finally {
        await store.close();
      }
    });

    it('answers no write before a sync begun after its commit has ended; overlaps 3 syncs, then batches share the next', async () => {
      const held: (() => void)[] = [];
      const store = new SqliteStore(join(tempDir(), 'bot.sqlite'), {
        fdatasync: (fd, done) => {
          held.push(() => fdatasync(fd, done));
        },
      });
      const turn = () => new Promise((r) => setTimeout(r, 20));
      try {
        const answered: string[] = [];
        const write = (n: number) =>
          store.enqueue(item(`i${n}`, `om_${n}`), HOUR).then((o) => {
            answered.push(`om_${n}`);
            return o;
          });
        const first = write(1);
        await turn();
        // Committed (another connection could read it) but not yet synced: not answered.
        expect(held).toHaveLength(1);
        expect(answered).toEqual([]);
        // Batches committed while syncs are in flight start syncs of their own, up to three at once…
        const second = write(2);
        await turn();
        const third = write(3);
        await turn();
        expect(held).toHaveLength(3);
        // …then wait for one to end and share the next.
        const rest = [write(4), store.set('k', 'v', HOUR).then(() => 'set')];
        await turn();
        expect(held).toHaveLength(3);
        // The second sync began after the first two commits: its end answers both, whatever the first does.
        held.splice(1, 1)[0]!();
        expect(await Promise.all([first, second])).toEqual(['accepted', 'accepted']);
        expect(answered).toEqual(['om_1', 'om_2']);
        await turn();
        expect(held).toHaveLength(3); // the next sync, for the two batches that waited
        held.pop()!();
        expect(await Promise.all(rest)).toEqual(['accepted', 'set']);
        expect(answered).toEqual(['om_1', 'om_2', 'om_3', 'om_4']);
        expect(await third).toBe('accepted');
      } finally {
        while (held.length) held.shift()!();
        await store.close();
      }
    });

    it('stores an item leased to the enqueuer and hands it over once committed, before the sync ends', async () => {
      const held: (() => void)[] = [];
      const store = new SqliteStore(join(tempDir(), 'bot.sqlite'), {
        fdatasync: (fd, done) => {
          held.push(() => fdatasync(fd, done));
        },
      });
      try {
        const started: InboxItem[] = [];
        const lease = { leaseMs: 30_000, started: (i: InboxItem) => started.push(i) };
        const accepted = store.enqueue(item('i1', 'om_1'), HOUR, lease);
        await new Promise((r) => setTimeout(r, 20));
        expect(held).toHaveLength(1);
        expect(started).toEqual([
          {
            id: expect.any(String),
            dedupeKey: 'om_1',
            type: 'im.message.receive_v1',
            payload: JSON.stringify({ name: 'i1' }),
            receivedAt: expect.any(Number),
            attempts: 1,
          },
        ]);
        // Leased to its worker: no other claim takes it.
        const claim = store.lease(5, 30_000);
        await new Promise((r) => setTimeout(r, 20));
        while (held.length) held.shift()!();
        expect(await accepted).toBe('accepted');
        expect(await claim).toEqual([]);
        // A duplicate is handed to no one; nor is work scheduled for later, which is queued as it was.
        const later = store.enqueue({ ...item('i2', 'om_2'), availableAt: Date.now() + HOUR }, HOUR, lease);
        const again = store.enqueue(item('i3', 'om_1'), HOUR, lease);
        await new Promise((r) => setTimeout(r, 20));
        while (held.length) held.shift()!();
        expect([await later, await again]).toEqual(['accepted', 'duplicate']);
        expect(started).toHaveLength(1);
        expect(await store.pendingCount()).toBe(2);
      } finally {
        while (held.length) held.shift()!();
        await store.close();
      }
    });

    it('fails the writes of a batch whose sync failed, so no push is acknowledged on a bad disk', async () => {
      let fail = true;
      const store = new SqliteStore(join(tempDir(), 'bot.sqlite'), {
        fdatasync: (fd, done) => {
          if (fail) setImmediate(() => done(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })));
          else fdatasync(fd, done);
        },
      });
      try {
        await expect(store.enqueue(item('i1', 'om_1'), HOUR)).rejects.toMatchObject({ code: 'EIO' });
        fail = false;
        expect(await store.enqueue(item('i2', 'om_2'), HOUR)).toBe('accepted');
      } finally {
        await store.close();
      }
    });

    it('fails a one-statement write alone, in a batch with others, and commits the rest', async () => {
      const store = new SqliteStore(join(tempDir(), 'bot.sqlite'));
      try {
        const outcomes = await Promise.allSettled([
          store.enqueue(item('i1', 'om_1'), HOUR),
          store.set('broken', null as unknown as string, HOUR), // NOT NULL value
          store.set('fine', 'v', HOUR),
          store.enqueue(item('i2', 'om_2'), HOUR),
        ]);
        expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
        expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_CONSTRAINT_NOTNULL' });
        expect([await store.get('broken'), await store.get('fine')]).toEqual([undefined, 'v']);
        expect(await store.pendingCount()).toBe(2);
      } finally {
        await store.close();
      }
    });

    it('commits writes still queued when close() is called', async () => {
      const file = join(tempDir(), 'bot.sqlite');
      const store = new SqliteStore(file);
      const queued = [store.enqueue(item('i1', 'om_1'), HOUR), store.enqueue(item('i2', 'om_2'), HOUR)];
      await store.close();
      expect(await Promise.all(queued)).toEqual(['accepted', 'accepted']);
      const reopened = new SqliteStore(file);
      try {
        expect(await reopened.pendingCount()).toBe(2);
      } finally {
        await reopened.close();
      }
    });

    it('leaves every acknowledged write on disk for a new connection, without a clean close', async () => {
      const file = join(tempDir(), 'bot.sqlite');
      const store = new SqliteStore(file);
      // Several batches, completes and claims mixed in, as the inbox issues them.
      const first = await Promise.all(
        Array.from({ length: 50 }, (_, i) => store.enqueue(item(`a${i}`, `om_a${i}`), HOUR)),
      );
      const [claimed] = await Promise.all([store.lease(5, 30_000), store.enqueue(item('b0', 'om_b0'), HOUR)]);
      await Promise.all(claimed.map((c) => store.finish(c.id)));
      expect(first.every((o) => o === 'accepted')).toBe(true);
      // Crash-equivalent: the first connection is never closed or checkpointed; a second one reads the file as a
      // restarted process would.
      const reopened = new SqliteStore(file);
      try {
        const left = await reopened.lease(100, 30_000);
        expect(left).toHaveLength(46);
        expect(left.map((c) => c.dedupeKey)).toEqual([
          ...Array.from({ length: 45 }, (_, i) => `om_a${i + 5}`),
          'om_b0',
        ]);
        expect(await reopened.enqueue(item('a0-again', 'om_a0'), HOUR)).toBe('duplicate');
      } finally {
        await reopened.close();
        await store.close();
      }
    });
  });
});
