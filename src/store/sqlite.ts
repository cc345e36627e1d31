/**
 * The embedded default Store: one SQLite file (better-sqlite3, WAL). No write's promise resolves before it is on
 * disk (fdatasync of the WAL), so an acknowledged event survives a crash of the process or the machine.
 * Writes are group-committed: those asked for in one turn of the event loop share a transaction, so a burst of pushes
 * costs one sync rather than one each. The sync runs off the event loop (see GroupCommit), so pushes keep being read
 * and verified while the disk works.
 * Expiry is by timestamp columns compared on read, plus a sweep at most once a minute to keep tables small:
 * on a timer and on key/value and index writes, never inside the transaction that acknowledges webhooks.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { AuditRecord, AuditResult, Claim, EnqueueLease, InboxItem, NewInboxItem, Store } from './store.js';
import { toItem } from './store.js';

export type FlushToDisk = (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => void;

export interface SqliteStoreOptions {
  /** Epoch ms; injectable so TTLs and leases can be tested without waiting. */
  now?: () => number;
  /** How long a writer waits for another connection's lock before failing. */
  busyTimeoutMs?: number;
  /** Flushes the WAL to disk (fs.fdatasync); injectable so a test can hold a sync or fail it. */
  fdatasync?: FlushToDisk;
}

/**
 * Inbox ids are the rowid, so an enqueue appends to one b-tree instead of also inserting a random UUID into an index
 * of its own (on this machine's disk that was half the cost of an acknowledged event); AUTOINCREMENT keeps an id from
 * being reused, so a late finish() of a lapsed lease cannot delete a newer item.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS inbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  dedupe_key TEXT NOT NULL,
  type TEXT NOT NULL,
  payload TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  -- claimable when available_at <= now: a lease sets it to the lease end, a release to the retry time
  available_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS inbox_available ON inbox (available_at, received_at);
CREATE TABLE IF NOT EXISTS dedupe (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS dedupe_expiry ON dedupe (expires_at);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER);
CREATE INDEX IF NOT EXISTS kv_expiry ON kv (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS sorted_index (
  name TEXT NOT NULL,
  member TEXT NOT NULL,
  score REAL NOT NULL,
  -- the index's expiry, the same on all of its rows: each add moves it
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (name, member)
);
CREATE INDEX IF NOT EXISTS sorted_index_order ON sorted_index (name, score DESC, member DESC);
CREATE INDEX IF NOT EXISTS sorted_index_expiry ON sorted_index (expires_at);
CREATE TABLE IF NOT EXISTS claims (
  key TEXT PRIMARY KEY,
  state TEXT NOT NULL, -- running | done
  holder TEXT,
  result TEXT,
  lease_until INTEGER NOT NULL,
  ttl_ms INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS claims_expiry ON claims (expires_at);
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL,
  result TEXT NOT NULL, detail TEXT, event_id TEXT
);
`;

/** `PRAGMA user_version` of the schema above; files of version 0 had TEXT inbox ids, version 1 no sorted_index. */
const SCHEMA_VERSION = 2;

/** Brings a file written by an older version up to SCHEMA_VERSION in one transaction, keeping every pending item. */
function migrate(db: Database.Database): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version >= SCHEMA_VERSION) return;
  db.transaction(() => {
    const old = db.prepare<[], { type: string }>("SELECT type FROM pragma_table_info('inbox') WHERE name = 'id'").get();
    if (old?.type === 'TEXT') {
      db.exec('DROP INDEX IF EXISTS inbox_available; ALTER TABLE inbox RENAME TO inbox_v0;');
      db.exec(SCHEMA);
      db.exec(`INSERT INTO inbox (dedupe_key, type, payload, received_at, attempts, available_at)
        SELECT dedupe_key, type, payload, received_at, attempts, available_at FROM inbox_v0 ORDER BY received_at, rowid;
        DROP TABLE inbox_v0;`);
    }
    db.exec(SCHEMA);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

const SWEEP_EVERY_MS = 60_000;

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

type Waiter = { resolve: (v: never) => void; reject: (e: unknown) => void };

/**
 * WAL syncs at once on libuv's thread pool (4 threads by default): one is left for the rest of the process's file
 * and DNS work.
 */
const SYNCS_IN_FLIGHT = 3;

/**
 * Writes submitted in the same turn of the event loop run in one IMMEDIATE transaction, each in its own savepoint.
 * The transaction statements are prepared once: wrapping each write in `db.transaction()` built a function per write.
 *
 * Durability: the connection runs with synchronous=NORMAL, so COMMIT writes the WAL frames without waiting for the
 * disk, and this class then fdatasyncs the WAL file on libuv's thread pool before any write of the batch resolves:
 * what synchronous=FULL guarantees, without stalling the event loop for the length of a disk flush. A batch committed
 * while syncs are in flight starts one of its own (up to SYNCS_IN_FLIGHT, see `sync`). Every write, leases included,
 * resolves only after its sync; what a write's `committed` starts (an inbox worker handed its item) runs sooner, and
 * must not be taken as durable.
 */
class GroupCommit {
  private queue: ({ write: () => unknown; single: boolean; committed?: () => void } & Waiter)[] = [];
  private readonly sql;
  /** The WAL file, opened on the first sync; undefined for an in-memory database, which has nothing to sync. */
  private walFd: number | undefined;
  /** Syncs on the thread pool now. */
  private syncing = 0;
  private closed = false;
  /** Batches committed so far, and the most of them a sync started so far covers. */
  private committed = 0;
  private covered = 0;
  /** Committed batches no finished sync covers yet, oldest first: their number and how to settle their writes. */
  private unsynced: { batch: number; settle: (error?: unknown) => void }[] = [];

  constructor(
    private readonly db: Database.Database,
    private readonly walFile: string | undefined,
    private readonly flushToDisk: FlushToDisk,
  ) {
    this.sql = {
      begin: db.prepare('BEGIN IMMEDIATE'),
      commit: db.prepare('COMMIT'),
      rollback: db.prepare('ROLLBACK'),
      savepoint: db.prepare('SAVEPOINT one_write'),
      release: db.prepare('RELEASE one_write'),
      undo: db.prepare('ROLLBACK TO one_write'),
    };
  }

  /**
   * A write of several statements: a failure part-way undoes the ones before it (a savepoint each). `committed` runs
   * once the write is committed, before the sync: what it starts must not be observable as durable (see Inbox.accept).
   */
  submit<T>(write: () => T, committed?: () => void): Promise<T> {
    return this.enqueue(write, false, committed);
  }

  /** A write of one statement, which needs no savepoint: SQLite undoes a failed statement by itself. */
  submitOne<T>(write: () => T): Promise<T> {
    return this.enqueue(write, true);
  }

  private enqueue<T>(write: () => T, single: boolean, committed?: () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.queue.push({ write, single, committed, resolve: resolve as (v: never) => void, reject }) === 1)
        setImmediate(() => this.flush());
    });
  }

  /** Commits what is queued; its callers are answered after the next sync. */
  flush(): void {
    const batch = this.queue.splice(0);
    if (!batch.length) return;
    const { sql } = this;
    const outcomes: Outcome[] = [];
    try {
      sql.begin.run();
      for (const { write, single } of batch) {
        if (!single) sql.savepoint.run();
        try {
          outcomes.push({ ok: true, value: write() });
          if (!single) sql.release.run();
        } catch (error) {
          // Some errors (disk full, I/O) make SQLite roll back the whole transaction: then nothing in it commits.
          if (!this.db.inTransaction) throw error;
          // One failing write is rolled back alone and fails only its own caller.
          if (!single) {
            sql.undo.run();
            sql.release.run();
          }
          outcomes.push({ ok: false, error });
        }
      }
      sql.commit.run();
    } catch (error) {
      if (this.db.inTransaction) sql.rollback.run();
      for (const w of batch) w.reject(error);
      return;
    }
    this.unsynced.push({
      batch: ++this.committed,
      settle: (syncError) =>
        batch.forEach((w, i) => {
          const o = outcomes[i]!;
          // Committed but maybe not on disk: the caller must not take it as durable (a push then gets no 200).
          if (syncError !== undefined) w.reject(syncError);
          else if (o.ok) w.resolve(o.value as never);
          else w.reject(o.error);
        }),
    });
    this.sync();
    // After the sync has started, so the disk works while what these start runs.
    batch.forEach((w, i) => {
      if (w.committed && outcomes[i]!.ok) w.committed();
    });
  }

  private fd(): number | undefined {
    if (this.walFd === undefined && this.walFile !== undefined && existsSync(this.walFile))
      this.walFd = openSync(this.walFile, 'r');
    return this.walFd;
  }

  /**
   * Starts a sync covering every batch committed so far, unless one already does or SYNCS_IN_FLIGHT are running (the
   * batches then share the next, started when one ends). A sync settles the batches committed before it started,
   * whichever sync started first: on this machine's disk flushes overlap, and two in flight finish twice as many.
   */
  private sync(): void {
    if (this.syncing >= SYNCS_IN_FLIGHT || this.covered === this.committed) return;
    const fd = this.fd();
    if (fd === undefined) {
      this.covered = this.committed;
      return this.unsynced.splice(0).forEach((w) => w.settle());
    }
    const covers = (this.covered = this.committed);
    this.syncing++;
    this.flushToDisk(fd, (err) => {
      this.syncing--;
      while (this.unsynced.length && this.unsynced[0]!.batch <= covers) this.unsynced.shift()!.settle(err ?? undefined);
      if (!this.closed) this.sync();
      else if (!this.syncing) closeSync(fd);
    });
  }

  /** Commits what is queued and syncs it before returning; a sync still in flight closes the file when it ends. */
  close(): void {
    this.flush();
    this.closed = true;
    const fd = this.walFd;
    let error: unknown;
    try {
      if (fd !== undefined) fdatasyncSync(fd);
    } catch (e) {
      error = e;
    }
    this.covered = this.committed;
    this.unsynced.splice(0).forEach((w) => w.settle(error));
    if (fd !== undefined && !this.syncing) closeSync(fd);
  }
}

interface InboxRow {
  id: number;
  dedupe_key: string;
  type: string;
  payload: string;
  received_at: number;
  attempts: number;
}
interface ClaimRow {
  state: 'running' | 'done';
  result: string | null;
  lease_until: number;
}
interface AuditRow {
  at: number;
  actor: string;
  action: string;
  target: string;
  result: AuditResult;
  detail: string | null;
  event_id: string | null;
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private readonly now: () => number;
  private lastSweep = 0;
  private readonly sweeper: NodeJS.Timeout;
  private readonly q;
  private readonly writes: GroupCommit;

  constructor(
    readonly file: string,
    opts: SqliteStoreOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    try {
      this.db = new Database(file);
    } catch (e) {
      throw new Error(
        `cannot open the SQLite store at ${file}: ${(e as Error).message} (check DATA_DIR exists and is writable)`,
        { cause: e },
      );
    }
    const wal = this.db.pragma('journal_mode = WAL', { simple: true }) === 'wal';
    // The group commit syncs the WAL itself, off the event loop (see GroupCommit).
    this.db.pragma('synchronous = NORMAL');
    // Deleted rows (finished events, forgotten tokens) are overwritten with zeros, not left in free pages.
    this.db.pragma('secure_delete = ON');
    this.db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
    // 2 MiB of page cache holds the hot set (pending inbox rows, dedupe and key/value indexes); colder pages come
    // from the OS page cache, so a larger cache would only add idle RSS.
    this.db.pragma('cache_size = -2048');
    migrate(this.db);
    const db = this.db;
    this.writes = new GroupCommit(db, wal ? `${file}-wal` : undefined, opts.fdatasync ?? fdatasync);
    this.sweeper = setInterval(() => this.db.open && this.sweep(this.now()), SWEEP_EVERY_MS).unref();
    this.q = {
      // One statement: a new or expired key is (re)written and counts as a change; a live one is left alone.
      dedupeClaim: db.prepare<[string, number, number]>(
        'INSERT INTO dedupe (key, expires_at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE expires_at <= ?',
      ),
      insertItem: db.prepare<[string, string, string, number, number, number]>(
        'INSERT INTO inbox (dedupe_key, type, payload, received_at, available_at, attempts) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      claimable: db.prepare<[number, number], InboxRow>(
        // Oldest available first, in index order: sorting every pending row by received_at made each lease
        // cost O(backlog) just when a burst had built one up.
        'SELECT id, dedupe_key, type, payload, received_at, attempts FROM inbox WHERE available_at <= ? ORDER BY available_at, received_at, rowid LIMIT ?',
      ),
      lease: db.prepare<[number, number]>('UPDATE inbox SET available_at = ?, attempts = attempts + 1 WHERE id = ?'),
      setAvailable: db.prepare<[number, number]>('UPDATE inbox SET available_at = ? WHERE id = ?'),
      deleteItem: db.prepare<[number]>('DELETE FROM inbox WHERE id = ?'),
      pending: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM inbox'),
      kvGet: db.prepare<[string, number], { value: string }>(
        'SELECT value FROM kv WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)',
      ),
      kvSet: db.prepare<[string, string, number | null]>(
        'INSERT INTO kv (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at',
      ),
      kvDelete: db.prepare<[string]>('DELETE FROM kv WHERE key = ?'),
      indexExpire: db.prepare<[string, number]>('DELETE FROM sorted_index WHERE name = ? AND expires_at <= ?'),
      indexUpsert: db.prepare<[string, string, number, number]>(
        'INSERT INTO sorted_index (name, member, score, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (name, member) DO UPDATE SET score = excluded.score',
      ),
      indexExtend: db.prepare<[number, string]>('UPDATE sorted_index SET expires_at = ? WHERE name = ?'),
      indexTrim: db.prepare<[string, string, number]>(
        'DELETE FROM sorted_index WHERE name = ? AND member IN (SELECT member FROM sorted_index WHERE name = ? ORDER BY score DESC, member DESC LIMIT -1 OFFSET ?)',
      ),
      indexList: db.prepare<[string, number, number], { member: string }>(
        'SELECT member FROM sorted_index WHERE name = ? AND expires_at > ? ORDER BY score DESC, member DESC LIMIT ?',
      ),
      claimGet: db.prepare<[string, number], ClaimRow>(
        'SELECT state, result, lease_until FROM claims WHERE key = ? AND expires_at > ?',
      ),
      claimSet: db.prepare<[string, string, number, number, number]>(
        "INSERT INTO claims (key, state, holder, result, lease_until, ttl_ms, expires_at) VALUES (?, 'running', ?, NULL, ?, ?, ?) " +
          "ON CONFLICT (key) DO UPDATE SET state = 'running', holder = excluded.holder, result = NULL, lease_until = excluded.lease_until, " +
          'ttl_ms = excluded.ttl_ms, expires_at = excluded.expires_at',
      ),
      claimRenew: db.prepare<[number, string, string, number]>(
        "UPDATE claims SET lease_until = ? WHERE key = ? AND holder = ? AND state = 'running' AND expires_at > ?",
      ),
      claimComplete: db.prepare<[string, number, string, string]>(
        "UPDATE claims SET state = 'done', result = ?, holder = NULL, expires_at = ? + ttl_ms WHERE key = ? AND holder = ? AND state = 'running'",
      ),
      claimAbandon: db.prepare<[string, string]>(
        "DELETE FROM claims WHERE key = ? AND holder = ? AND state = 'running'",
      ),
      auditInsert: db.prepare<[number, string, string, string, string, string | null, string | null]>(
        'INSERT INTO audit (at, actor, action, target, result, detail, event_id) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      auditList: db.prepare<[number], AuditRow>(
        'SELECT at, actor, action, target, result, detail, event_id FROM audit ORDER BY seq DESC LIMIT ?',
      ),
      sweepDedupe: db.prepare<[number]>('DELETE FROM dedupe WHERE expires_at <= ?'),
      sweepKv: db.prepare<[number]>('DELETE FROM kv WHERE expires_at IS NOT NULL AND expires_at <= ?'),
      sweepIndexes: db.prepare<[number]>('DELETE FROM sorted_index WHERE expires_at <= ?'),
      sweepClaims: db.prepare<[number]>('DELETE FROM claims WHERE expires_at <= ?'),
    };
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    this.q.sweepDedupe.run(now);
    this.q.sweepKv.run(now);
    this.q.sweepIndexes.run(now);
    this.q.sweepClaims.run(now);
  }

  async enqueue(item: NewInboxItem, dedupeTtlMs: number, lease?: EnqueueLease): Promise<'accepted' | 'duplicate'> {
    let leased: InboxItem | undefined;
    // The write lock is held from the start of the batch, so two connections cannot both see the key as new.
    return this.writes.submit(
      (): 'accepted' | 'duplicate' => {
        const now = this.now();
        if (this.q.dedupeClaim.run(item.dedupeKey, now + dedupeTtlMs, now).changes === 0) return 'duplicate';
        const available = Math.max(now, item.availableAt ?? now);
        const lapse = lease && available === now ? now + lease.leaseMs : undefined;
        const { lastInsertRowid } = this.q.insertItem.run(
          item.dedupeKey,
          item.type,
          item.payload,
          item.receivedAt,
          lapse ?? available,
          lapse === undefined ? 0 : 1,
        );
        if (lapse !== undefined) leased = { ...toItem(item), id: String(lastInsertRowid), attempts: 1 };
        return 'accepted';
      },
      // Committed, not yet synced: the worker starts while the disk flushes; the caller's answer still waits for it.
      () => leased && lease?.started(leased),
    );
  }

  async lease(limit: number, leaseMs: number): Promise<InboxItem[]> {
    // Group-committed with the enqueues of the same turn: a lease costs no fsync of its own, and its attempt count
    // is durable before a worker runs the item (what stops a poison item that crashes the process).
    return this.writes.submit((): InboxItem[] => {
      const now = this.now();
      const rows = this.q.claimable.all(now, limit);
      for (const r of rows) this.q.lease.run(now + leaseMs, r.id);
      return rows.map((r) => ({
        id: String(r.id),
        dedupeKey: r.dedupe_key,
        type: r.type,
        payload: r.payload,
        receivedAt: r.received_at,
        attempts: r.attempts + 1,
      }));
    });
  }

  async renew(id: string, leaseMs: number): Promise<void> {
    await this.writes.submitOne(() => this.q.setAvailable.run(this.now() + leaseMs, Number(id)));
  }

  async finish(id: string): Promise<void> {
    await this.writes.submitOne(() => this.q.deleteItem.run(Number(id)));
  }

  async release(id: string, retryAt: number): Promise<void> {
    await this.writes.submitOne(() => this.q.setAvailable.run(retryAt, Number(id)));
  }

  async pendingCount(): Promise<number> {
    return this.q.pending.get()?.n ?? 0;
  }

  async get(key: string): Promise<string | undefined> {
    return this.q.kvGet.get(key, this.now())?.value;
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    const now = this.now();
    this.sweep(now);
    await this.writes.submitOne(() => this.q.kvSet.run(key, value, now + ttlMs));
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    const now = this.now();
    this.sweep(now);
    return this.writes.submit((): boolean => {
      if (this.q.kvGet.get(key, now)) return false;
      this.q.kvSet.run(key, value, now + ttlMs);
      return true;
    });
  }

  async delete(key: string): Promise<void> {
    await this.writes.submitOne(() => this.q.kvDelete.run(key));
  }

  async indexAdd(index: string, member: string, score: number, o: { ttlMs: number; keep: number }): Promise<void> {
    const now = this.now();
    this.sweep(now);
    // One transaction: an expired index starts empty, the member is upserted, the whole index lives on, the rest trimmed.
    await this.writes.submit(() => {
      this.q.indexExpire.run(index, now);
      this.q.indexUpsert.run(index, member, score, now + o.ttlMs);
      this.q.indexExtend.run(now + o.ttlMs, index);
      this.q.indexTrim.run(index, index, o.keep);
    });
  }

  async indexList(index: string, limit: number): Promise<string[]> {
    return this.q.indexList.all(index, this.now(), limit).map((r) => r.member);
  }

  async claim(key: string, o: { ttlMs: number; leaseMs: number }): Promise<Claim> {
    // Read and write in one IMMEDIATE transaction (the group commit's): a second connection waits for the lock,
    // so two claimants never both see the key as free.
    return this.writes.submit((): Claim => {
      const now = this.now();
      const row = this.q.claimGet.get(key, now);
      if (row?.state === 'done') return { state: 'done', result: row.result ?? '' };
      if (row && row.lease_until > now) return { state: 'busy' };
      const holder = randomUUID();
      this.q.claimSet.run(key, holder, now + o.leaseMs, o.ttlMs, now + o.ttlMs);
      return { state: row ? 'resumed' : 'fresh', holder };
    });
  }

  async renewClaim(key: string, holder: string, leaseMs: number): Promise<boolean> {
    const now = this.now();
    return this.writes.submitOne(() => this.q.claimRenew.run(now + leaseMs, key, holder, now).changes > 0);
  }

  async complete(key: string, holder: string, result: string): Promise<void> {
    await this.writes.submitOne(() => this.q.claimComplete.run(result, this.now(), key, holder));
  }

  async abandon(key: string, holder: string): Promise<void> {
    await this.writes.submitOne(() => this.q.claimAbandon.run(key, holder));
  }

  async audit(r: AuditRecord): Promise<void> {
    await this.writes.submitOne(() =>
      this.q.auditInsert.run(r.at, r.actor, r.action, r.target, r.result, r.detail ?? null, r.eventId ?? null),
    );
  }

  async auditLog(limit = 100): Promise<AuditRecord[]> {
    return this.q.auditList.all(limit).map((r) => ({
      at: r.at,
      actor: r.actor,
      action: r.action,
      target: r.target,
      result: r.result,
      ...(r.detail === null ? {} : { detail: r.detail }),
      ...(r.event_id === null ? {} : { eventId: r.event_id }),
    }));
  }

  async ping(): Promise<void> {
    if (!this.db.open) throw new Error('the SQLite store is closed');
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    if (!this.db.open) return;
    this.writes.close(); // writes asked for before close still commit, and are synced
    this.db.close();
  }
}
