/**
 * The verification pipeline for one push, with no express in sight: raw bytes + headers + clock in,
 * a challenge answer, a Delivery, or a rejection with its HTTP status and a metric-friendly reason out.
 * Rules: Feishu "将事件发送至开发者服务器", "步骤三：接收事件"; for legacy card callbacks "配置回调请求地址".
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Delivery } from '../delivery.js';
import { decrypt, sameDigest, signEvent, signLegacyCard } from '../protocol/crypto.js';
import { isInternalEvent, readEnvelope } from '../protocol/envelope.js';

export type RejectReason =
  | 'body_too_large'
  | 'bad_body'
  | 'bad_json'
  | 'too_deep'
  | 'bad_envelope'
  | 'bad_ciphertext'
  | 'no_encrypt_key'
  | 'no_verification_token'
  | 'wrong_endpoint'
  | 'missing_signature'
  | 'bad_signature'
  | 'stale_timestamp'
  | 'bad_token'
  | 'legacy_callbacks_off';

export type RejectStatus = 400 | 401 | 403 | 413;

export interface Rejection {
  ok: false;
  status: RejectStatus;
  reason: RejectReason;
  /** What is wrong, for the caller: never a secret, the body or the name of a setting. */
  detail: string;
  /** For the operator's log only: which setting to fix. */
  hint?: string;
}

export type VerifyResult =
  { ok: true; kind: 'challenge'; challenge: string } | { ok: true; kind: 'delivery'; delivery: Delivery } | Rejection;

export interface VerifySecrets {
  encryptKey?: string;
  verificationToken?: string;
  replayWindowSeconds: number;
  /**
   * Legacy (sha1, token-signed) card callbacks: off unless configured. The token alone signs them, and the token also
   * rides in every unencrypted push, so whoever has seen one push could forge a click in anyone's name.
   */
  legacyCardCallbacks?: boolean;
}

export interface VerifyInput {
  rawBody: Buffer;
  headers: IncomingHttpHeaders;
  /** Epoch ms. */
  now: number;
  /** Legacy card callbacks are only accepted on the card route. */
  endpoint: 'event' | 'card';
}

const reject = (status: RejectStatus, reason: RejectReason, detail: string, hint?: string): Rejection => ({
  ok: false,
  status,
  reason,
  detail,
  hint,
});

const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

const SIGNATURE_HEADERS = ['x-lark-request-timestamp', 'x-lark-request-nonce', 'x-lark-signature'] as const;

/** Far deeper than any Feishu payload; deeper ones could not be stored (JSON.stringify recurses) nor handled. */
export const MAX_JSON_DEPTH = 64;

function parseJson(text: string, what: string): { ok: true; value: unknown } | Rejection {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return reject(400, 'bad_json', `${what} is not valid JSON (${(e as Error).message})`);
  }
  return nestedDeeperThan(value, MAX_JSON_DEPTH)
    ? reject(400, 'too_deep', `${what} nests objects or arrays more than ${MAX_JSON_DEPTH} levels deep`)
    : { ok: true, value };
}

/** Iterative, so a hostile depth cannot overflow the stack here either; only objects and arrays are stacked. */
function nestedDeeperThan(root: unknown, limit: number): boolean {
  const values: object[] = [];
  const depths: number[] = [];
  const push = (value: unknown, depth: number) => {
    if (typeof value === 'object' && value !== null) {
      values.push(value);
      depths.push(depth);
    }
  };
  push(root, 1);
  while (values.length) {
    const value = values.pop()!;
    const depth = depths.pop()!;
    if (depth > limit) return true;
    if (Array.isArray(value)) for (const child of value) push(child, depth + 1);
    else for (const key in value) push((value as Record<string, unknown>)[key], depth + 1);
  }
  return false;
}

/** Timestamp unit is undocumented (Feishu "步骤三：接收事件" does not say): seconds, but a 13-digit value is taken as ms. */
function timestampMs(raw: string): number | undefined {
  if (!/^\d{1,16}$/.test(raw)) return undefined;
  const n = Number(raw);
  return n >= 1e12 ? n : n * 1000;
}

type Digest = (ts: string, nonce: string, secret: string, raw: Buffer) => string;

/** Checks the three X-Lark headers: present, signature matching over the exact raw bytes, timestamp fresh. */
function checkSignature(
  input: VerifyInput,
  secret: string,
  digest: Digest,
  scheme: string,
  windowSeconds: number,
): Rejection | undefined {
  const [ts, nonce, signature] = SIGNATURE_HEADERS.map((n) => header(input.headers, n));
  if (ts === undefined || nonce === undefined || signature === undefined) {
    const missing = SIGNATURE_HEADERS.filter((n) => header(input.headers, n) === undefined);
    return reject(
      401,
      'missing_signature',
      `missing header(s) ${missing.join(', ')}: pushes must be signed (${scheme})`,
    );
  }
  if (!sameDigest(digest(ts, nonce, secret, input.rawBody), signature)) {
    return reject(
      401,
      'bad_signature',
      `X-Lark-Signature does not match ${scheme} over the raw body: check the configured secret`,
    );
  }
  const at = timestampMs(ts);
  if (at === undefined) return reject(401, 'stale_timestamp', 'X-Lark-Request-Timestamp is not a Unix timestamp');
  if (Math.abs(input.now - at) > windowSeconds * 1000) {
    return reject(
      401,
      'stale_timestamp',
      `X-Lark-Request-Timestamp is more than ${windowSeconds} s away from now: replayed or clock skew`,
    );
  }
  return undefined;
}

const sameSecret = (expected: string, actual: string | undefined): boolean => {
  if (actual === undefined) return false;
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(actual, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
};

function checkToken(secrets: VerifySecrets, token: string | undefined): Rejection | undefined {
  if (secrets.verificationToken === undefined || sameSecret(secrets.verificationToken, token)) return undefined;
  return reject(
    403,
    'bad_token',
    token === undefined ? 'the push carries no verification token' : 'the verification token does not match',
    'compare FEISHU_VERIFICATION_TOKEN with the Verification Token in the developer console',
  );
}

/**
 * Unsigned ciphertext gets one answer whatever goes wrong with it: a different answer for bad padding than for a
 * bad plaintext would make the receiver a CBC padding oracle.
 */
const UNSIGNED_CIPHERTEXT = reject(
  401,
  'missing_signature',
  'an encrypted push without X-Lark-* signature headers is accepted only as url_verification: events must be signed',
);

const UNPROVEN = reject(
  401,
  'no_encrypt_key',
  'this bot accepts only pushes signed with its Encrypt Key, and it has none configured',
  'set FEISHU_ENCRYPT_KEY: copy the Encrypt Key from the developer console (Events & Callbacks → Encryption strategy)',
);

export function verifyPush(input: VerifyInput, secrets: VerifySecrets): VerifyResult {
  const outer = parseJson(input.rawBody.toString('utf8'), 'the body');
  if (!outer.ok) return outer;
  let body = outer.value;
  const signed = SIGNATURE_HEADERS.some((n) => header(input.headers, n) !== undefined);
  const sha256 = (): Rejection | undefined =>
    secrets.encryptKey === undefined
      ? undefined
      : checkSignature(
          input,
          secrets.encryptKey,
          signEvent,
          'sha256(timestamp + nonce + encrypt key + body)',
          secrets.replayWindowSeconds,
        );
  const sha1 = (token: string): Rejection | undefined =>
    checkSignature(
      input,
      token,
      signLegacyCard,
      'sha1(timestamp + nonce + verification token + body)',
      secrets.replayWindowSeconds,
    );

  let encrypted = false;
  let authenticated = false;
  if (typeof body === 'object' && body !== null && typeof (body as { encrypt?: unknown }).encrypt === 'string') {
    if (secrets.encryptKey === undefined) {
      return reject(
        400,
        'no_encrypt_key',
        'the push is encrypted but this bot has no Encrypt Key configured',
        'set FEISHU_ENCRYPT_KEY: copy the Encrypt Key from the developer console',
      );
    }
    encrypted = true;
    // Signed ciphertext is authenticated before it reaches the decrypter.
    if (signed) {
      const bad = sha256();
      if (bad) return bad;
      authenticated = true;
    }
    let plain: string;
    try {
      plain = decrypt((body as { encrypt: string }).encrypt, secrets.encryptKey);
    } catch (e) {
      return signed
        ? reject(400, 'bad_ciphertext', `"encrypt" cannot be decrypted: ${(e as Error).message}`)
        : UNSIGNED_CIPHERTEXT;
    }
    const inner = parseJson(plain, 'the decrypted body');
    if (!inner.ok) return signed ? inner : UNSIGNED_CIPHERTEXT;
    body = inner.value;
  }

  const read = readEnvelope(body);
  const opaque = encrypted && !signed;
  if (!read.ok) return opaque ? UNSIGNED_CIPHERTEXT : reject(400, 'bad_envelope', read.problem);
  const env = read.envelope;
  if (opaque && env.shape !== 'challenge') return UNSIGNED_CIPHERTEXT;

  switch (env.shape) {
    case 'challenge': {
      // URL verification is not signed ("步骤三：接收事件": 不包括请求网址校验), but signed headers that are present
      // must be right; on the card route they may follow the legacy sha1 scheme.
      const bySha256 = signed && !authenticated ? sha256() : undefined;
      const legacyToken = input.endpoint === 'card' ? secrets.verificationToken : undefined;
      const badSignature =
        bySha256 && legacyToken !== undefined && sha1(legacyToken) === undefined ? undefined : bySha256;
      const bad = badSignature ?? checkToken(secrets, env.token);
      return bad ?? { ok: true, kind: 'challenge', challenge: env.challenge };
    }
    case 'event': {
      // Feishu signs pushes only for an app with an Encrypt Key; the token alone rides in plaintext and proves nothing.
      if (secrets.encryptKey === undefined) return UNPROVEN;
      if (isInternalEvent(env.delivery.type))
        return reject(400, 'bad_envelope', `${env.delivery.type} is not a Feishu event type`);
      const bad = (authenticated ? undefined : sha256()) ?? checkToken(secrets, env.token);
      return bad ?? { ok: true, kind: 'delivery', delivery: { ...env.delivery, receivedAt: input.now } };
    }
    case 'legacy_card': {
      if (input.endpoint !== 'card') {
        return reject(
          400,
          'wrong_endpoint',
          'legacy card callbacks belong on /webhook/card: set that as the card request URL',
        );
      }
      if (encrypted) return reject(400, 'bad_envelope', 'legacy card callbacks are never encrypted');
      if (!secrets.legacyCardCallbacks) {
        return reject(
          403,
          'legacy_callbacks_off',
          "legacy card callbacks are off: the bot's cards are JSON 2.0, whose clicks arrive as card.action.trigger; " +
            'set receiver.legacyCardCallbacks to true in app.config.json only if the app is subscribed to the old callback',
        );
      }
      if (secrets.verificationToken === undefined) {
        return reject(
          401,
          'no_verification_token',
          'legacy card callbacks are signed with the Verification Token, which this bot has not been given',
          'set FEISHU_VERIFICATION_TOKEN: copy the Verification Token from the developer console',
        );
      }
      const bad = sha1(secrets.verificationToken);
      return bad ?? { ok: true, kind: 'delivery', delivery: { ...env.delivery, receivedAt: input.now } };
    }
  }
}
