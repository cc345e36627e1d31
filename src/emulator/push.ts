/**
 * How Feishu puts an event or callback on the wire (platform.md §1): compact JSON, `{"encrypt": …}` when an
 * Encrypt Key is set, and the X-Lark-* headers. Used by the emulator's delivery, by tests and by benchmarks,
 * so every sender of pushes builds them the same way.
 */
import { randomBytes } from 'node:crypto';
import { encrypt, signEvent, signLegacyCard } from '../protocol/crypto.js';

export interface PushSecrets {
  encryptKey?: string;
  verificationToken?: string;
}

export interface WirePush {
  body: string;
  headers: Record<string, string>;
}

const nonce = () => randomBytes(8).toString('hex');
const seconds = (nowMs: number) => String(Math.floor(nowMs / 1000));

/** An event or new-style callback (schema 2.0 / 1.0 / url_verification): encrypted and sha256-signed when a key is set. */
export function buildPush(payload: unknown, secrets: PushSecrets, nowMs: number = Date.now()): WirePush {
  const plain = JSON.stringify(payload);
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  if (!secrets.encryptKey) return { body: plain, headers };
  const body = JSON.stringify({ encrypt: encrypt(plain, secrets.encryptKey) });
  const timestamp = seconds(nowMs);
  const n = nonce();
  return {
    body,
    headers: {
      ...headers,
      'x-lark-request-timestamp': timestamp,
      'x-lark-request-nonce': n,
      'x-lark-signature': signEvent(timestamp, n, secrets.encryptKey, body),
    },
  };
}

/** A legacy card callback: never encrypted, sha1-signed with the verification token. */
export function buildLegacyCardPush(payload: unknown, verificationToken: string, nowMs: number = Date.now()): WirePush {
  const body = JSON.stringify(payload);
  const timestamp = seconds(nowMs);
  const n = nonce();
  return {
    body,
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'x-lark-request-timestamp': timestamp,
      'x-lark-request-nonce': n,
      'x-lark-signature': signLegacyCard(timestamp, n, verificationToken, body),
    },
  };
}
