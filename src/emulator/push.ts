/**
 * How Feishu puts an event or callback on the wire (pages "将事件发送至开发者服务器", "步骤三：接收事件"): compact
 * JSON, `{"encrypt": …}` when an Encrypt Key is set, and the X-Lark-* headers. Used by the emulator's delivery, by
 * tests and by benchmarks, so every sender of pushes builds them the same way.
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

/** Fixed header values, for tests that need a given timestamp (seconds, as a string) or nonce. */
export interface PushStamp {
  timestamp?: string;
  nonce?: string;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' } as const;

/** The X-Lark-* headers over exactly these body bytes, with `sign` choosing the algorithm. */
function signed(
  body: string,
  sign: (timestamp: string, nonce: string) => string,
  nowMs: number,
  stamp: PushStamp,
): WirePush {
  const timestamp = stamp.timestamp ?? String(Math.floor(nowMs / 1000));
  const nonce = stamp.nonce ?? randomBytes(8).toString('hex');
  return {
    body,
    headers: {
      ...JSON_HEADERS,
      'x-lark-request-timestamp': timestamp,
      'x-lark-request-nonce': nonce,
      'x-lark-signature': sign(timestamp, nonce),
    },
  };
}

/** Events and new callbacks: sha256-signed with the Encrypt Key. */
export function signPush(
  body: string,
  encryptKey: string,
  nowMs: number = Date.now(),
  stamp: PushStamp = {},
): WirePush {
  return signed(body, (ts, nonce) => signEvent(ts, nonce, encryptKey, body), nowMs, stamp);
}

/** An event or new-style callback (schema 2.0 / 1.0 / url_verification): encrypted and sha256-signed when a key is set. */
export function buildPush(
  payload: unknown,
  secrets: PushSecrets,
  nowMs: number = Date.now(),
  stamp: PushStamp = {},
): WirePush {
  const plain = JSON.stringify(payload);
  if (!secrets.encryptKey) return { body: plain, headers: { ...JSON_HEADERS } };
  return signPush(JSON.stringify({ encrypt: encrypt(plain, secrets.encryptKey) }), secrets.encryptKey, nowMs, stamp);
}

/** A legacy card callback: never encrypted, sha1-signed with the verification token. */
export function buildLegacyCardPush(
  payload: unknown,
  verificationToken: string,
  nowMs: number = Date.now(),
  stamp: PushStamp = {},
): WirePush {
  const body = JSON.stringify(payload);
  return signed(body, (ts, nonce) => signLegacyCard(ts, nonce, verificationToken, body), nowMs, stamp);
}
