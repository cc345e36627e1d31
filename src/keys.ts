import { createHash } from 'node:crypto';

/**
 * A stable key from its parts: sha256 of the parts joined by '|', first 32 hex digits (fits Feishu's uuid, ≤ 50
 * chars). Stored records and Feishu uuids are keyed this way, so the derivation must never change.
 */
export const deriveKey = (...parts: string[]): string =>
  createHash('sha256').update(parts.join('|')).digest('hex').slice(0, 32);
