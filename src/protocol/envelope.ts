/**
 * Envelope normalisation: every verified push body (schema 2.0, 1.0, url_verification, legacy card callback)
 * becomes one `Envelope`, validated with zod. Pure: no I/O, no clock.
 */
import { z } from 'zod';
import type { CardCallbackResponse, Delivery } from '../delivery.js';
import { deriveKey } from '../keys.js';

const nonEmpty = z.string().min(1);
const jsonObject = z.record(z.string(), z.unknown());

const challengeSchema = z.looseObject({
  type: z.literal('url_verification'),
  challenge: nonEmpty,
  token: z.string().optional(),
});

const v2Schema = z.looseObject({
  schema: z.literal('2.0'),
  header: z.looseObject({
    event_id: nonEmpty,
    event_type: nonEmpty,
    token: z.string().optional(),
    create_time: z.string().optional(),
  }),
  event: jsonObject,
});

const v1Schema = z.looseObject({
  uuid: nonEmpty,
  type: z.literal('event_callback'),
  token: z.string().optional(),
  event: z.looseObject({ type: nonEmpty }),
});

/**
 * Feishu "消息卡片回传交互（旧）": flat, no schema/header; the top-level `token` is the card-update token, not the
 * verification token.
 */
const legacyCardSchema = z.looseObject({
  token: nonEmpty,
  action: z.looseObject({ tag: z.string().optional() }),
  open_id: z.string().optional(),
  user_id: z.string().optional(),
  tenant_key: z.string().optional(),
  open_message_id: z.string().optional(),
  open_chat_id: z.string().optional(),
});

const messageEventSchema = z.looseObject({ message: z.looseObject({ message_id: nonEmpty }) });
const cardEventSchema = z.looseObject({ token: z.string().optional() });

export const CARD_CALLBACK_TYPE = 'card.action.trigger';
/** Event types the bot enqueues for itself; a transport refuses them, so no push can pose as one. */
export const INTERNAL_EVENT_PREFIX = 'ops_bot.';
export const isInternalEvent = (type: string): boolean => type.startsWith(INTERNAL_EVENT_PREFIX);
const MESSAGE_RECEIVE_TYPE = 'im.message.receive_v1';

type Normalised = Omit<Delivery, 'receivedAt'>;

export type Envelope =
  | { shape: 'challenge'; challenge: string; token: string | undefined }
  /** Schema 2.0 or 1.0 event, or a schema 2.0 callback: carries the verification token. */
  | { shape: 'event'; token: string | undefined; delivery: Normalised }
  /** Verified by its sha1 signature instead of a token. */
  | { shape: 'legacy_card'; delivery: Normalised };

export type EnvelopeResult = { ok: true; envelope: Envelope } | { ok: false; problem: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const issues = (e: z.ZodError): string =>
  e.issues.map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`).join('; ');

/** The update token identifies one click; both subscriptions (new and legacy) carry it, so it dedupes across them. */
const clickKey = (updateToken: string): string => deriveKey(updateToken);

/**
 * The verification token has done its job once checked (it is returned beside the delivery): the delivery, which the
 * inbox persists whatever the transport, keeps no copy, so neither data files nor their freed pages hold it.
 */
function withoutToken(payload: Record<string, unknown>): Record<string, unknown> {
  const { token: _v1, ...rest } = payload;
  if (!isObject(rest.header)) return rest;
  const { token: _v2, ...header } = rest.header;
  return { ...rest, header };
}

export function readEnvelope(body: unknown): EnvelopeResult {
  if (!isObject(body)) return { ok: false, problem: 'the body must be a JSON object' };

  if (body.type === 'url_verification') {
    const c = challengeSchema.safeParse(body);
    return c.success
      ? { ok: true, envelope: { shape: 'challenge', challenge: c.data.challenge, token: c.data.token } }
      : { ok: false, problem: `url_verification: ${issues(c.error)}` };
  }

  if ('schema' in body || 'header' in body) {
    const p = v2Schema.safeParse(body);
    if (!p.success) return { ok: false, problem: `schema 2.0 envelope: ${issues(p.error)}` };
    const { header, event } = p.data;
    const type = header.event_type;
    let dedupeKey = header.event_id;
    if (type === MESSAGE_RECEIVE_TYPE) {
      // Feishu "接收消息": dedupe messages on message_id, not event_id.
      const m = messageEventSchema.safeParse(event);
      if (!m.success) return { ok: false, problem: `${type} event: ${issues(m.error)}` };
      dedupeKey = m.data.message.message_id;
    } else if (type === CARD_CALLBACK_TYPE) {
      const token = cardEventSchema.safeParse(event);
      if (token.success && token.data.token) dedupeKey = `card:${clickKey(token.data.token)}`;
    }
    const kind = type === CARD_CALLBACK_TYPE ? 'card' : 'event';
    return {
      ok: true,
      envelope: {
        shape: 'event',
        token: header.token,
        delivery: { kind, type, id: header.event_id, dedupeKey, payload: withoutToken(body) },
      },
    };
  }

  if (body.type === 'event_callback' || 'uuid' in body) {
    const p = v1Schema.safeParse(body);
    if (!p.success) return { ok: false, problem: `schema 1.0 envelope: ${issues(p.error)}` };
    return {
      ok: true,
      envelope: {
        shape: 'event',
        token: p.data.token,
        delivery: {
          kind: 'event',
          type: p.data.event.type,
          id: p.data.uuid,
          dedupeKey: p.data.uuid,
          payload: withoutToken(body),
        },
      },
    };
  }

  if ('action' in body) {
    const p = legacyCardSchema.safeParse(body);
    if (!p.success) return { ok: false, problem: `legacy card callback: ${issues(p.error)}` };
    return { ok: true, envelope: { shape: 'legacy_card', delivery: normaliseLegacyCard(p.data) } };
  }

  return {
    ok: false,
    problem:
      'not a Feishu push: expected a schema 2.0 event ({schema, header, event}), a 1.0 event ({uuid, event}), ' +
      'a url_verification or a card callback',
  };
}

/**
 * A legacy callback is rewritten into the schema 2.0 `card.action.trigger` shape, so the app reads one form
 * (`event.action`, `event.token`, `event.operator`, `event.context.open_message_id`). `legacy: true` marks it.
 */
function normaliseLegacyCard(b: z.infer<typeof legacyCardSchema>): Normalised {
  const key = clickKey(b.token);
  const id = `legacy_${key}`;
  return {
    kind: 'card',
    type: CARD_CALLBACK_TYPE,
    id,
    dedupeKey: `card:${key}`,
    payload: {
      schema: '2.0',
      legacy: true,
      header: { event_id: id, event_type: CARD_CALLBACK_TYPE, tenant_key: b.tenant_key },
      event: {
        operator: { open_id: b.open_id, user_id: b.user_id, tenant_key: b.tenant_key },
        token: b.token,
        action: b.action,
        host: 'im_message',
        context: { open_message_id: b.open_message_id, open_chat_id: b.open_chat_id },
      },
    },
  };
}

/** Rebuild the Delivery of a persisted event payload (inbox items store only the envelope). */
export function deliveryFromPayload(payload: unknown, receivedAt: number): Delivery {
  const r = readEnvelope(payload);
  if (!r.ok) throw new Error(`stored inbox payload is not a valid envelope: ${r.problem}`);
  if (r.envelope.shape === 'challenge') throw new Error('stored inbox payload is a url_verification, not an event');
  return { ...r.envelope.delivery, receivedAt };
}

/** Legacy callbacks are answered with the card JSON at top level plus an optional toast (Feishu "消息卡片回传交互（旧）"). */
export function legacyCardResponse(r: CardCallbackResponse): Record<string, unknown> {
  return { ...(r.card?.data ?? {}), ...(r.toast ? { toast: r.toast } : {}) };
}

/** `create_time` is ms for events and µs for card callbacks (Feishu "接收消息", "卡片回传交互回调"); seconds are accepted too. */
export function createTimeMs(raw: unknown): number | undefined {
  if (typeof raw !== 'string' || !/^\d{10,16}$/.test(raw)) return undefined;
  const n = Number(raw);
  if (raw.length >= 15) return Math.floor(n / 1000);
  return raw.length >= 13 ? n : n * 1000;
}
