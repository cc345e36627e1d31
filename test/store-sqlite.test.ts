import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { openStore } from '../src/store/index.js';
import { SqliteStore } from '../src/store/sqlite.js';
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
    await store.set('k', 'v');
    const db = new Database(join(dir, 'events.sqlite'), { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.prepare('SELECT value FROM kv WHERE key = ?').pluck().get('k')).toBe('v');
    } finally {
      db.close();
      await store.close();
    }
  });

  it('deletes expired dedupe keys and kv rows instead of keeping them forever', async () => {
    const file = join(tempDir(), 'bot.sqlite');
    let time = 1_700_000_000_000;
    const store = new SqliteStore(file, { now: () => time });
    await store.enqueue({ id: 'i1', dedupeKey: 'om_old', type: 't', payload: '{}', receivedAt: time }, 60_000);
    await store.set('old', 'v', 60_000);
    time += 2 * 60 * 60_000;
    await store.set('fresh', 'v', 60_000); // any write may sweep
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare('SELECT COUNT(*) FROM dedupe').pluck().get()).toBe(0);
      expect(db.prepare('SELECT key FROM kv').pluck().all()).toEqual(['fresh']);
    } finally {
      db.close();
      await store.close();
    }
  });

  it('says which file it could not open and what to check', () => {
    expect(() => new SqliteStore(join(tempDir(), 'missing-dir', 'bot.sqlite'))).toThrow(/cannot open the SQLite store at .*missing-dir.*DATA_DIR/);
  });

  it('refuses a redis store kind with a clear message until one exists', async () => {
    await expect(openStore(parseConfig({ store: { kind: 'redis', url: 'redis://127.0.0.1' } }, {}), tempDir())).rejects.toThrow(/redis.*sqlite/);
  });
});
