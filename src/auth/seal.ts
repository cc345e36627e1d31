/**
 * AES-256-GCM for values at rest under TOKEN_ENCRYPTION_KEY. The record's key is the associated data, so a sealed
 * value copied under another key (another user's record) fails to open.
 */
import { createCipheriv, createDecipheriv, createSecretKey, randomFillSync, type KeyObject } from 'node:crypto';
import type { RandomBytes } from './kv.js';

const VERSION = 'v1';

/**
 * Random IVs drawn from a pool the CSPRNG refills 4 KiB at a time: asking it for 12 bytes per seal cost more than the
 * encryption itself on the ack path (every inbox payload is sealed).
 */
const pooledRandom = (() => {
  const pool = Buffer.alloc(4096);
  let used = pool.length;
  return (size: number): Buffer => {
    if (size > pool.length) return randomFillSync(Buffer.alloc(size));
    if (used + size > pool.length) {
      randomFillSync(pool);
      used = 0;
    }
    // A copy: the pool's bytes are overwritten by the next refill, and each is handed out once.
    return Buffer.from(pool.subarray(used, (used += size)));
  };
})();

/** Sealing as its users need it (the draft records, the run-once results of mail commands): a port, Sealer its one maker. */
export interface Sealing {
  /** An opaque string that holds `value`, readable only with the key and the same `aad`. */
  seal(value: unknown, aad: string): string;
  /** The value, or undefined when it was sealed under another key or associated data, or is not a sealed value. */
  open(sealed: string, aad: string): unknown;
}

export class Sealer implements Sealing {
  /** A KeyObject: a Buffer key is imported into every cipher anew (a tenth of sealing an inbox payload). */
  private readonly key: KeyObject;

  constructor(
    key: Buffer,
    private readonly random: RandomBytes = pooledRandom,
  ) {
    if (key.length !== 32) throw new Error(`the encryption key must be 32 bytes, got ${key.length}`);
    this.key = createSecretKey(key);
  }

  /** `v1.<iv>.<tag>.<ciphertext>`, base64url parts. */
  seal(value: unknown, aad: string): string {
    const iv = this.random(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(aad));
    const head = cipher.update(JSON.stringify(value), 'utf8');
    // GCM is a stream mode: final() computes the tag and has no bytes left over, so no concat in the usual case.
    const tail = cipher.final();
    const body = tail.length ? Buffer.concat([head, tail]) : head;
    return `${VERSION}.${iv.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}.${body.toString('base64url')}`;
  }

  /** The value, or undefined when it was sealed under another key or associated data, or is not a sealed value. */
  open(sealed: string, aad: string): unknown {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || body === undefined) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(aad));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return JSON.parse(
        Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8'),
      );
    } catch {
      return undefined;
    }
  }
}
