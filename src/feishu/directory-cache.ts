/**
 * The directory port with user look-ups cached for a few minutes: cards name people (owners, members, admins) and
 * one command can name the same person several times. A resignation shows within the TTL, or at once to a `fresh` look-up.
 */
import { TtlCache } from '../cache.js';
import type { DirectoryPort, FeishuUser } from './ports.js';

export const DIRECTORY_TTL_MS = 5 * 60_000;

export function cachedDirectory(port: DirectoryPort, ttlMs = DIRECTORY_TTL_MS, now?: () => number): DirectoryPort {
  const users = new TtlCache<FeishuUser>(ttlMs, 10_000, now);
  return {
    getUser: (id, idType = 'open_id', opts) => {
      const key = `${idType}:${id}`;
      if (opts?.fresh) users.delete(key);
      return users.get(key, () => port.getUser(id, idType));
    },
    openIdsByEmail: (emails, opts) => port.openIdsByEmail(emails, opts),
  };
}

/** A person's display name, or the open_id when the directory cannot say (out of scope, deleted). */
export async function displayName(directory: DirectoryPort, openId: string): Promise<string> {
  try {
    return (await directory.getUser(openId)).name || openId;
  } catch {
    return openId;
  }
}
