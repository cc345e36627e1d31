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
}

/** The JSON a card callback is answered with (platform.md §2.2). `{}` leaves the card unchanged. */
export interface CardCallbackResponse {
  toast?: { type: 'info' | 'success' | 'error' | 'warning'; content: string; i18n?: Record<string, string> };
  card?: { type: 'raw'; data: Record<string, unknown> };
}
