import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encrypt } from '../src/protocol/crypto.js';
import { createTimeMs, legacyCardResponse, readEnvelope } from '../src/protocol/envelope.js';
import { verifyPush, type VerifyInput, type VerifyResult, type VerifySecrets } from '../src/receiver/verify.js';
import {
  cardAction,
  eventPush,
  legacyCardAction,
  legacyCardPush,
  messageEvent,
  urlVerification,
  v1Event,
  v2Event,
  type Push,
} from './helpers/feishu-push.js';

const KEY = 'enc-key-Hx81';
const TOKEN = 'vtok-Zq7';
const NOW = 1_700_000_000_000;
const secrets: VerifySecrets = { encryptKey: KEY, verificationToken: TOKEN, replayWindowSeconds: 300 };
const legacyOn: VerifySecrets = { ...secrets, legacyCardCallbacks: true };

const verify = (push: Push, o: Partial<VerifyInput> = {}, s: VerifySecrets = secrets): VerifyResult =>
  verifyPush({ rawBody: Buffer.from(push.body), headers: push.headers, now: NOW, endpoint: 'event', ...o }, s);

const delivered = (r: VerifyResult) => {
  if (!r.ok || r.kind !== 'delivery') throw new Error(`expected a delivery, got ${JSON.stringify(r)}`);
  return r.delivery;
};

const rejected = (r: VerifyResult) => (r.ok ? { accepted: r.kind } : { status: r.status, reason: r.reason });

const message = messageEvent({ token: TOKEN, eventId: 'ev_1', messageId: 'om_1', text: '/group create 新员工群' });

describe('verifyPush: events', () => {
  it('decrypts a signed encrypted message event and dedupes it on message_id', () => {
    const d = delivered(verify(eventPush(message, { encryptKey: KEY, now: NOW })));
    expect(d).toMatchObject({
      kind: 'event',
      type: 'im.message.receive_v1',
      id: 'ev_1',
      dedupeKey: 'om_1',
      receivedAt: NOW,
    });
    const { token: _token, ...header } = message.header;
    expect(d.payload).toEqual({ ...message, header });
  });

  it('keeps no copy of the verification token in the delivery it hands to the inbox', () => {
    const v2 = delivered(verify(eventPush(message, { encryptKey: KEY, now: NOW })));
    const v1 = delivered(verify(eventPush(v1Event({ token: TOKEN, uuid: 'bc44' }), { encryptKey: KEY, now: NOW })));
    expect(JSON.stringify(v2.payload)).not.toContain(TOKEN);
    expect(JSON.stringify(v1.payload)).not.toContain(TOKEN);
  });

  it('refuses a push nested deeper than any Feishu payload with 400 and a reason', () => {
    const plainDeep = verifyPush(
      {
        rawBody: Buffer.from('{"a":' + '['.repeat(10_000) + ']'.repeat(10_000) + '}'),
        headers: {},
        now: NOW,
        endpoint: 'event',
      },
      { replayWindowSeconds: 300 },
    );
    expect(rejected(plainDeep)).toEqual({ status: 400, reason: 'too_deep' });
  });

  it('dedupes other schema 2.0 events on event_id and 1.0 events on uuid', () => {
    const v2 = delivered(
      verify(
        eventPush(v2Event({ token: TOKEN, eventId: 'ev_9', type: 'contact.user.created_v3' }), {
          encryptKey: KEY,
          now: NOW,
        }),
      ),
    );
    expect([v2.type, v2.dedupeKey]).toEqual(['contact.user.created_v3', 'ev_9']);
    const v1 = delivered(verify(eventPush(v1Event({ token: TOKEN, uuid: 'bc44' }), { encryptKey: KEY, now: NOW })));
    expect([v1.kind, v1.type, v1.id, v1.dedupeKey]).toEqual(['event', 'p2p_chat_create', 'bc44', 'bc44']);
  });

  it('verifies the signature over the exact raw bytes, not re-serialised JSON', () => {
    const spaced = { body: JSON.stringify(message, null, 2), headers: {} };
    const signed = eventPush(message, { signOnlyKey: KEY, now: NOW });
    const resigned = eventPush(JSON.parse(spaced.body), { signOnlyKey: KEY, now: NOW, nonce: 'n' });
    // Same JSON value, different bytes: the signature of the compact form does not cover the spaced one.
    expect(rejected(verify({ body: spaced.body, headers: signed.headers }))).toEqual({
      status: 401,
      reason: 'bad_signature',
    });
    expect(verify({ body: resigned.body, headers: resigned.headers }).ok).toBe(true);
  });

  it('rejects a forged signature and a body changed after signing', () => {
    const push = eventPush(message, { encryptKey: KEY, now: NOW });
    expect(rejected(verify({ ...push, headers: { ...push.headers, 'x-lark-signature': 'a'.repeat(64) } }))).toEqual({
      status: 401,
      reason: 'bad_signature',
    });
    const other = eventPush(message, { encryptKey: KEY, now: NOW });
    expect(rejected(verify({ body: other.body, headers: push.headers }))).toEqual({
      status: 401,
      reason: 'bad_signature',
    });
    const wrongKey = eventPush(message, { encryptKey: 'another key', now: NOW });
    expect(rejected(verify(wrongKey))).toEqual({ status: 401, reason: 'bad_signature' });
  });

  it.each(['x-lark-request-timestamp', 'x-lark-request-nonce', 'x-lark-signature'])(
    'rejects a push without %s',
    (name) => {
      const push = eventPush(message, { encryptKey: KEY, now: NOW });
      const headers = { ...push.headers };
      delete headers[name as keyof typeof headers];
      const r = verify({ body: push.body, headers });
      expect(rejected(r)).toEqual({ status: 401, reason: 'missing_signature' });
      expect(!r.ok && r.detail).toContain(name);
    },
  );

  it('rejects a replayed timestamp, old or from the future, and accepts one inside the window', () => {
    const at = (offsetS: number) => verify(eventPush(message, { encryptKey: KEY, now: NOW + offsetS * 1000 }));
    expect(rejected(at(-301))).toEqual({ status: 401, reason: 'stale_timestamp' });
    expect(rejected(at(301))).toEqual({ status: 401, reason: 'stale_timestamp' });
    expect(at(-299).ok).toBe(true);
    expect(
      rejected(
        verify(eventPush(message, { encryptKey: KEY, now: NOW - 61_000 }), {}, { ...secrets, replayWindowSeconds: 60 }),
      ),
    ).toEqual({ status: 401, reason: 'stale_timestamp' });
  });

  it('accepts a millisecond timestamp and rejects one that is not a number', () => {
    expect(verify(eventPush(message, { encryptKey: KEY, timestamp: String(NOW - 5_000) })).ok).toBe(true);
    expect(rejected(verify(eventPush(message, { encryptKey: KEY, timestamp: 'yesterday' })))).toEqual({
      status: 401,
      reason: 'stale_timestamp',
    });
  });

  it('rejects a wrong or missing verification token even when correctly signed', () => {
    const wrong = messageEvent({ token: 'guess', eventId: 'e', messageId: 'm' });
    expect(rejected(verify(eventPush(wrong, { encryptKey: KEY, now: NOW })))).toEqual({
      status: 403,
      reason: 'bad_token',
    });
    const { token: _t, ...noToken } = v1Event({ token: TOKEN, uuid: 'u' });
    expect(rejected(verify(eventPush(noToken, { encryptKey: KEY, now: NOW })))).toEqual({
      status: 403,
      reason: 'bad_token',
    });
  });

  it('without an encrypt key refuses every event, even one carrying the right token (nothing proves it came from Feishu)', () => {
    const plainSecrets = { verificationToken: TOKEN, replayWindowSeconds: 300 };
    expect(rejected(verify(eventPush(message), {}, plainSecrets))).toEqual({ status: 401, reason: 'no_encrypt_key' });
    expect(rejected(verify(eventPush(message), {}, { replayWindowSeconds: 300 }))).toEqual({
      status: 401,
      reason: 'no_encrypt_key',
    });
    expect(rejected(verify(eventPush(message, { encryptKey: KEY, now: NOW }), {}, plainSecrets))).toEqual({
      status: 400,
      reason: 'no_encrypt_key',
    });
    // URL verification stays possible, so the console can check the URL while the key is being set up.
    expect(verify(eventPush(urlVerification(TOKEN)), {}, plainSecrets).ok).toBe(true);
  });

  it("refuses a signed push posing as one of the bot's own records (an internal event type)", () => {
    const forged = v2Event({
      token: TOKEN,
      eventId: 'e-x',
      type: 'ops_bot.sign_in.completed',
      event: { open_id: 'ou_1', outcome: { ok: true } },
    });
    expect(rejected(verify(eventPush(forged, { encryptKey: KEY, now: NOW })))).toEqual({
      status: 400,
      reason: 'bad_envelope',
    });
  });

  it('reads an envelope (as the long connection does) into a delivery without the verification token', () => {
    const read = readEnvelope(v2Event({ token: TOKEN, eventId: 'e-ws', type: 'contact.user.created_v3' }));
    expect(read.ok && read.envelope.shape === 'event' && read.envelope.token).toBe(TOKEN);
    expect(
      read.ok && read.envelope.shape !== 'challenge' && JSON.stringify(read.envelope.delivery.payload),
    ).not.toContain(TOKEN);
  });

  it('hands on the delivery without the verification token', () => {
    const r = verify(eventPush(message, { encryptKey: KEY, now: NOW }));
    expect(r.ok && r.kind === 'delivery' && JSON.stringify(r.delivery.payload)).not.toContain(TOKEN);
  });

  it('rejects malformed JSON, malformed ciphertext and bodies that are not Feishu envelopes', () => {
    expect(rejected(verify({ body: '{"schema":', headers: {} }))).toEqual({ status: 400, reason: 'bad_json' });
    expect(rejected(verify(eventPush({ encrypt: 'not base64 at all' }, { signOnlyKey: KEY, now: NOW })))).toEqual({
      status: 400,
      reason: 'bad_ciphertext',
    });
    expect(
      rejected(verify(eventPush({ encrypt: encrypt('{"schema":', KEY) }, { signOnlyKey: KEY, now: NOW }))),
    ).toEqual({ status: 400, reason: 'bad_json' });
    expect(rejected(verify(eventPush({ hello: 'world' }, { encryptKey: KEY, now: NOW })))).toEqual({
      status: 400,
      reason: 'bad_envelope',
    });
    const noMessageId = { ...message, event: { message: { chat_id: 'oc_1' } } };
    const r = verify(eventPush(noMessageId, { encryptKey: KEY, now: NOW }));
    expect(rejected(r)).toEqual({ status: 400, reason: 'bad_envelope' });
    expect(!r.ok && r.detail).toContain('message.message_id');
  });

  it('answers every unsigned ciphertext that is not a url_verification the same way (no padding oracle)', () => {
    const valid = JSON.parse(eventPush(message, { encryptKey: KEY }).body) as { encrypt: string };
    const raw = Buffer.from(valid.encrypt, 'base64');
    raw[raw.length - 17]! ^= 0x01; // flips a byte of the last plaintext block: padding now invalid
    const bodies = [
      JSON.stringify(valid), // a real event, but unsigned
      JSON.stringify({ encrypt: raw.toString('base64') }),
      JSON.stringify({ encrypt: encrypt('not json', KEY) }),
      JSON.stringify({ encrypt: encrypt('{"hello":"world"}', KEY) }),
      JSON.stringify({ encrypt: 'AAAA' }),
    ];
    const answers = new Set(bodies.map((body) => JSON.stringify(verify({ body, headers: {} }))));
    expect([...answers].map((a) => JSON.parse(a))).toEqual([
      expect.objectContaining({ ok: false, status: 401, reason: 'missing_signature' }),
    ]);
  });

  it('never names a secret in a rejection', () => {
    const pushes = [
      { body: 'nope', headers: {} },
      eventPush(message, { encryptKey: 'wrong', now: NOW }),
      eventPush(messageEvent({ token: 'bad', eventId: 'e', messageId: 'm' }), { encryptKey: KEY, now: NOW }),
      eventPush(message, { encryptKey: KEY, now: 0 }),
    ];
    for (const p of pushes) {
      const r = verify(p);
      expect(r.ok).toBe(false);
      expect(JSON.stringify(r)).not.toMatch(new RegExp(`${KEY}|${TOKEN}`));
    }
  });

  it('never throws and never accepts arbitrary unsigned bytes when an encrypt key is set', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.uint8Array().map((a) => Buffer.from(a).toString('latin1')),
        ),
        (body) => {
          const r = verify({ body, headers: {} });
          expect(r.ok && r.kind === 'delivery').toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('verifyPush: url_verification', () => {
  it('answers a plain and an encrypted challenge without a signature', () => {
    expect(verify(eventPush(urlVerification(TOKEN, 'c-plain')))).toEqual({
      ok: true,
      kind: 'challenge',
      challenge: 'c-plain',
    });
    const encrypted = eventPush(urlVerification(TOKEN, 'c-enc'), { encryptKey: KEY });
    expect(verify({ body: encrypted.body, headers: {} })).toEqual({ ok: true, kind: 'challenge', challenge: 'c-enc' });
  });

  it('rejects a challenge with the wrong token, or with signature headers that do not match', () => {
    expect(rejected(verify(eventPush(urlVerification('wrong'))))).toEqual({ status: 403, reason: 'bad_token' });
    const signed = eventPush(urlVerification(TOKEN), { encryptKey: KEY, now: NOW });
    expect(verify(signed).ok).toBe(true);
    expect(rejected(verify({ ...signed, headers: { ...signed.headers, 'x-lark-signature': 'f'.repeat(64) } }))).toEqual(
      { status: 401, reason: 'bad_signature' },
    );
  });

  it('accepts a challenge on the card route signed the legacy sha1 way, but not a wrongly signed one', () => {
    const legacy = legacyCardPush(urlVerification(TOKEN, 'c-card'), { verificationToken: TOKEN, now: NOW });
    expect(verify(legacy, { endpoint: 'card' })).toEqual({ ok: true, kind: 'challenge', challenge: 'c-card' });
    expect(rejected(verify(legacy, { endpoint: 'event' }))).toEqual({ status: 401, reason: 'bad_signature' });
    const forged = legacyCardPush(urlVerification(TOKEN, 'c-card'), { verificationToken: 'guess', now: NOW });
    expect(rejected(verify(forged, { endpoint: 'card' }))).toEqual({ status: 401, reason: 'bad_signature' });
  });
});

describe('verifyPush: card callbacks', () => {
  const value = { action: 'draft.send', draft: 'd1' };

  it('treats card.action.trigger as a card delivery deduped on its update token', () => {
    const d = delivered(
      verify(
        eventPush(cardAction({ token: TOKEN, eventId: 'ev_c', updateToken: 'c-123', value }), {
          encryptKey: KEY,
          now: NOW,
        }),
      ),
    );
    expect([d.kind, d.type, d.id]).toEqual(['card', 'card.action.trigger', 'ev_c']);
    expect(d.dedupeKey).toMatch(/^card:[0-9a-f]{32}$/);
    expect(d.dedupeKey).not.toContain('c-123');
  });

  it('refuses a legacy callback signed with the token alone unless legacy callbacks are enabled', () => {
    const push = legacyCardPush(legacyCardAction({ updateToken: 'c-123', value }), {
      verificationToken: TOKEN,
      now: NOW,
    });
    expect(rejected(verify(push, { endpoint: 'card' }))).toEqual({ status: 403, reason: 'legacy_callbacks_off' });
    expect(verify(push, { endpoint: 'card' }, legacyOn)).toMatchObject({ ok: true, kind: 'delivery' });
  });

  it('verifies a legacy callback by sha1 with the verification token and normalises it to the 2.0 shape', () => {
    const push = legacyCardPush(legacyCardAction({ updateToken: 'c-123', value }), {
      verificationToken: TOKEN,
      now: NOW,
    });
    const d = delivered(verify(push, { endpoint: 'card' }, legacyOn));
    const fresh = delivered(
      verify(
        eventPush(cardAction({ token: TOKEN, eventId: 'ev_c', updateToken: 'c-123', value }), {
          encryptKey: KEY,
          now: NOW,
        }),
      ),
    );
    expect(d).toMatchObject({ kind: 'card', type: 'card.action.trigger', dedupeKey: fresh.dedupeKey });
    expect(d.payload).toMatchObject({
      legacy: true,
      event: {
        token: 'c-123',
        action: { value, tag: 'button' },
        operator: { open_id: 'ou_sdfimx9948345' },
        context: { open_message_id: 'om_abcdefg1234567890', open_chat_id: 'oc_xxxxxxxx' },
      },
    });
  });

  it('rejects a legacy callback with a wrong sha1, on the event route, or without a verification token configured', () => {
    const body = legacyCardAction({ updateToken: 'c-1', value });
    expect(
      rejected(verify(legacyCardPush(body, { verificationToken: 'nope', now: NOW }), { endpoint: 'card' }, legacyOn)),
    ).toEqual({ status: 401, reason: 'bad_signature' });
    expect(
      rejected(
        verify(
          legacyCardPush(body, { verificationToken: TOKEN, now: NOW - 3_600_000 }),
          { endpoint: 'card' },
          legacyOn,
        ),
      ),
    ).toEqual({ status: 401, reason: 'stale_timestamp' });
    expect(rejected(verify(legacyCardPush(body, { verificationToken: TOKEN, now: NOW }), {}, legacyOn))).toEqual({
      status: 400,
      reason: 'wrong_endpoint',
    });
    expect(
      rejected(
        verify(
          legacyCardPush(body, { verificationToken: TOKEN, now: NOW }),
          { endpoint: 'card' },
          { encryptKey: KEY, replayWindowSeconds: 300, legacyCardCallbacks: true },
        ),
      ),
    ).toEqual({ status: 401, reason: 'no_verification_token' });
  });

  it('answers a legacy callback with the card at top level plus the toast', () => {
    const card = {
      schema: '2.0',
      header: { title: { tag: 'plain_text', content: '完成' } },
      body: { elements: [] },
    };
    expect(
      legacyCardResponse({ toast: { type: 'success', content: 'ok' }, card: { type: 'raw', data: card } }),
    ).toEqual({ ...card, toast: { type: 'success', content: 'ok' } });
    expect(legacyCardResponse({})).toEqual({});
  });
});

describe('createTimeMs', () => {
  it('reads seconds, milliseconds and microseconds', () => {
    expect(createTimeMs('1608725989')).toBe(1_608_725_989_000);
    expect(createTimeMs('1608725989000')).toBe(1_608_725_989_000);
    expect(createTimeMs('1603977298000000')).toBe(1_603_977_298_000);
    expect(createTimeMs('soon')).toBeUndefined();
  });
});
