/**
 * Pushes as Feishu sends them, for receiver, inbox and server tests: a thin layer over the emulator's
 * `src/emulator/push.ts`, so tests and the emulator put the same bytes on the wire.
 */
import { buildLegacyCardPush, buildPush, signPush, type PushStamp, type WirePush } from '../../src/emulator/push.js';

/** The secrets test bots are configured with. */
export const ENCRYPT_KEY = 'test-encrypt-key-5Vh2';
export const VERIFICATION_TOKEN = 'vtoken-QaZ81';

export type Push = WirePush;

export interface PushOptions extends PushStamp {
  /** Encrypt the body and sign with sha256 (events, new callbacks, url_verification). */
  encryptKey?: string;
  /** Sign with sha256 and this key but send the body in plaintext. */
  signOnlyKey?: string;
  /** Epoch ms the timestamp header is taken from unless `timestamp` is given. */
  now?: number;
}

/** An event or new-style callback, as Feishu would deliver it. */
export function eventPush(envelope: object, o: PushOptions = {}): Push {
  const now = o.now ?? Date.now();
  if (o.signOnlyKey && !o.encryptKey) return signPush(JSON.stringify(envelope), o.signOnlyKey, now, o);
  return buildPush(envelope, { encryptKey: o.encryptKey }, now, o);
}

/** A legacy card callback: never encrypted, sha1-signed with the verification token. */
export function legacyCardPush(body: object, o: PushStamp & { verificationToken: string; now?: number }): Push {
  return buildLegacyCardPush(body, o.verificationToken, o.now ?? Date.now(), o);
}

export function urlVerification(token: string, challenge = 'ajls384kdjx98XX') {
  return { challenge, token, type: 'url_verification' };
}

/** im.message.receive_v1 (schema 2.0) with a text message. */
export function messageEvent(o: {
  token: string;
  eventId: string;
  messageId: string;
  text?: string;
  createTime?: string;
}) {
  return {
    schema: '2.0',
    header: {
      event_id: o.eventId,
      event_type: 'im.message.receive_v1',
      create_time: o.createTime ?? '1608725989000',
      token: o.token,
      app_id: 'cli_9f5343c580712544',
      tenant_key: '2ca1d211f64f6438',
    },
    event: {
      sender: {
        sender_id: { open_id: 'ou_84aad35d084aa403a838cf73ee18467' },
        sender_type: 'user',
        tenant_key: '736588c9260f175e',
      },
      message: {
        message_id: o.messageId,
        create_time: '1609073151345',
        chat_id: 'oc_5ce6d572455d361153b7xx51da133945',
        chat_type: 'p2p',
        message_type: 'text',
        content: JSON.stringify({ text: o.text ?? '/help' }),
      },
    },
  };
}

/** Any other schema 2.0 event. */
export function v2Event(o: { token: string; eventId: string; type: string; event?: Record<string, unknown> }) {
  return {
    schema: '2.0',
    header: {
      event_id: o.eventId,
      event_type: o.type,
      create_time: '1608725989000',
      token: o.token,
      app_id: 'cli_x',
      tenant_key: 't',
    },
    event: o.event ?? {},
  };
}

/** A schema 1.0 event. */
export function v1Event(o: { token: string; uuid: string; type?: string }) {
  return {
    ts: '1502199207.7171419',
    uuid: o.uuid,
    token: o.token,
    type: 'event_callback',
    event: { type: o.type ?? 'p2p_chat_create', app_id: 'cli_9c8609450f78d102', tenant_key: '736588c9260f175c' },
  };
}

/** card.action.trigger (new callback, schema 2.0). */
export function cardAction(o: { token: string; eventId: string; updateToken: string; value: Record<string, unknown> }) {
  return {
    schema: '2.0',
    header: {
      event_id: o.eventId,
      token: o.token,
      create_time: '1603977298000000',
      event_type: 'card.action.trigger',
      tenant_key: 't',
      app_id: 'cli_x',
    },
    event: {
      operator: { tenant_key: 't', open_id: 'ou_3c14f3a59eaf2825dbe25359f15' },
      token: o.updateToken,
      action: { value: o.value, tag: 'button' },
      host: 'im_message',
      context: { open_message_id: 'om_574d639e4a44e4dd646eaf628e2', open_chat_id: 'oc_e4d2605ca917e695f54f11aaf56' },
    },
  };
}

/** The legacy (card.action.trigger_v1) callback body. */
export function legacyCardAction(o: { updateToken: string; value: Record<string, unknown> }) {
  return {
    open_id: 'ou_sdfimx9948345',
    user_id: 'eu_sd923r0sdf5',
    open_message_id: 'om_abcdefg1234567890',
    open_chat_id: 'oc_xxxxxxxx',
    tenant_key: 'd32004232',
    token: o.updateToken,
    action: { value: o.value, tag: 'button' },
  };
}
