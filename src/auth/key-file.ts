/**
 * The sandbox's TOKEN_ENCRYPTION_KEY: generated once into DATA_DIR, readable by the owner only, so a local run
 * needs no setup and still never stores a token in clear. Production sets the variable instead.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseEncryptionKey } from './vault.js';

export const KEY_FILE = 'token-encryption.key';

export async function ensureKeyFile(dataDir: string): Promise<{ key: Buffer; path: string; created: boolean }> {
  const path = join(dataDir, KEY_FILE);
  await mkdir(dataDir, { recursive: true });
  try {
    // 'wx' fails if the file exists, so two starting processes cannot overwrite each other's key.
    const file = await open(path, 'wx', 0o600);
    try {
      await file.writeFile(`${randomBytes(32).toString('hex')}\n`);
    } finally {
      await file.close();
    }
    return { key: parseEncryptionKey(await readFile(path, 'utf8'), path), path, created: true };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const mode = (await stat(path)).mode & 0o777;
  if (mode & 0o077) throw new Error(`${path} is readable by others (mode ${mode.toString(8)}): run chmod 600 ${path}`);
  return { key: parseEncryptionKey(await readFile(path, 'utf8'), path), path, created: false };
}
