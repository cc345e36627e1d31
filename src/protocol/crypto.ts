/**
 * Feishu push cryptography (pages "将事件发送至开发者服务器" and "步骤三：接收事件"; the legacy card callback's
 * sha1: "配置回调请求地址"). Pure functions shared by the receiver (verify, decrypt) and the emulator (encrypt,
 * sign), so both sides speak one implementation.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export class DecryptError extends Error {
  override name = 'DecryptError';
}

/** The last key derived: a bot has one encrypt key, and deriving it again for every push is wasted work. */
let derived: { from: string; key: Buffer } | undefined;
const aesKey = (encryptKey: string): Buffer => {
  if (derived?.from !== encryptKey)
    derived = { from: encryptKey, key: createHash('sha256').update(encryptKey, 'utf8').digest() };
  return derived.key;
};

/** base64(iv || AES-256-CBC(sha256(key), iv, pkcs7(plaintext))) */
export function encrypt(plaintext: string, encryptKey: string, iv: Buffer = randomBytes(16)): string {
  const cipher = createCipheriv('aes-256-cbc', aesKey(encryptKey), iv);
  return Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

export function decrypt(encrypted: string, encryptKey: string): string {
  const buf = Buffer.from(encrypted, 'base64');
  // 16-byte IV plus at least one cipher block, and whole blocks only.
  if (buf.length < 32 || buf.length % 16 !== 0) throw new DecryptError('ciphertext has a wrong length');
  try {
    const decipher = createDecipheriv('aes-256-cbc', aesKey(encryptKey), buf.subarray(0, 16));
    return Buffer.concat([decipher.update(buf.subarray(16)), decipher.final()]).toString('utf8');
  } catch {
    throw new DecryptError('ciphertext does not decrypt with the configured encrypt key');
  }
}

/** Events and new card callbacks: hex(sha256(timestamp + nonce + encryptKey + rawBody)). */
export function signEvent(timestamp: string, nonce: string, encryptKey: string, rawBody: Buffer | string): string {
  return createHash('sha256')
    .update(timestamp + nonce + encryptKey, 'utf8')
    .update(rawBody)
    .digest('hex');
}

/** Legacy card callbacks: hex(sha1(timestamp + nonce + verificationToken + rawBody)). */
export function signLegacyCard(
  timestamp: string,
  nonce: string,
  verificationToken: string,
  rawBody: Buffer | string,
): string {
  return createHash('sha1')
    .update(timestamp + nonce + verificationToken, 'utf8')
    .update(rawBody)
    .digest('hex');
}

/** Constant-time comparison of two hex digests of any length. */
export function sameDigest(expected: string, actual: string): boolean {
  const a = Buffer.from(expected.toLowerCase(), 'utf8');
  const b = Buffer.from(actual.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
