/**
 * The seam between transports and the app: whatever the wire (webhook 2.0 / 1.0, legacy card callback,
 * long connection), a verified push becomes one Delivery.
 */
export type DeliveryKind =
  /** An event: acknowledged at once, processed later from the inbox. */
  | 'event'
  /** A card callback: answered synchronously within Feishu's 3 s, with a toast and/or card. */
  | 'card';

export interface Delivery {
  kind: DeliveryKind;
  /** header.event_type, event.type for 1.0, or "card.action.trigger" for legacy card callbacks. */
  type: string;
  /** header.event_id, the 1.0 uuid, or a generated id for legacy callbacks. */
  id: string;
  /** message_id for im.message.receive_v1, header.event_id for other 2.0 events, uuid for 1.0. */
  dedupeKey: string;
  /** The decrypted envelope, as received. */
  payload: Record<string, unknown>;
  receivedAt: number;
  /** Work the bot scheduled for itself runs no earlier than this (epoch ms). */
  notBefore?: number;
  /**
   * False while the inbox will run this delivery again if its handler fails with a retryable error; absent (final)
   * for work nothing retries, such as a card callback answered at once.
   */
  finalAttempt?: boolean;
}

/** The JSON a card callback is answered with (Feishu "卡片回传交互回调"). `{}` leaves the card unchanged. */
export interface CardCallbackResponse {
  toast?: { type: 'info' | 'success' | 'error' | 'warning'; content: string; i18n?: Record<string, string> };
  card?: { type: 'raw'; data: Record<string, unknown> };
}

/** How a card callback is answered: the synchronous response, then optional work once Feishu has it. */
export interface CardAnswer {
  response: CardCallbackResponse;
  /**
   * Runs after the HTTP response has been sent: the delayed-update token only works after the callback
   * is answered (Feishu "延时更新消息卡片"), so a slow handler finishes here.
   */
  afterAck?: () => Promise<void>;
  /**
   * Work that goes on after the answer (a card action past its budget): the receiver puts this into the durable inbox
   * before answering, and the inbox hands it to `handleEvent`, which finishes the work, or redoes it after a crash.
   */
  continuation?: Delivery;
}

/** What the app offers the transports (implemented by src/app.ts). */
export interface DeliveryHandler {
  /** Run by an inbox worker for each accepted event. Resolves when done; rejects only on a transient failure worth a retry. */
  handleEvent(delivery: Delivery): Promise<void>;
  /** Answer a card callback within Feishu's 3 s: always resolves within the app's 2.5 s budget. */
  handleCard(delivery: Delivery): Promise<CardAnswer>;
}
