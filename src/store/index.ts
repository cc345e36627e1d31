import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { RedisStore } from './redis.js';
import { SqliteStore } from './sqlite.js';
import type { Store } from './store.js';

export type { Store } from './store.js';

/**
 * The data directory, readable by the bot's user only (0700), created if missing. Files the bot creates in it are
 * 0600: SQLite gives its -wal and -shm files the mode of the database file.
 */
export function privateDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
}

/** Creates `file` empty with mode 0600 if it does not exist, and tightens it to 0600 if it does. */
export function privateFile(file: string): string {
  closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
  return file;
}

export interface OpenStoreOptions {
  now?: () => number;
  /** Start-up warnings about the backend (Redis without fsync on every write). */
  warn?: (message: string) => void;
}

/**
 * The configured Store: Redis when REDIS_URL is set (or store.kind is "redis"), so several instances share it;
 * otherwise SQLite, one file in `dataDir`.
 */
export async function openStore(config: Config, dataDir: string, o: OpenStoreOptions = {}): Promise<Store> {
  const s = config.app.store;
  const redisUrl = config.env.REDIS_URL ?? (s.kind === 'redis' ? s.url : undefined);
  if (redisUrl !== undefined)
    return RedisStore.open(redisUrl, { now: o.now, warn: o.warn, prefix: config.env.REDIS_PREFIX });
  privateDataDir(dataDir);
  return new SqliteStore(privateFile(join(dataDir, s.kind === 'sqlite' ? s.file : 'bot.sqlite')), { now: o.now });
}
