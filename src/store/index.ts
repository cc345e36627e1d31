import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.js';
import { SqliteStore } from './sqlite.js';
import type { Store } from './store.js';

export type { Store } from './store.js';

/** The configured Store; SQLite keeps one file in `dataDir` (created if missing). */
export async function openStore(config: Config, dataDir: string, now?: () => number): Promise<Store> {
  const s = config.app.store;
  if (s.kind === 'sqlite') {
    mkdirSync(dataDir, { recursive: true });
    return new SqliteStore(join(dataDir, s.file), { now });
  }
  throw new Error('store.kind "redis" is not available yet: set store.kind to "sqlite" in app.config.json');
}
