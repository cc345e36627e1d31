/**
 * Endpoint names: the keys of `rateLimits` in app.config.json, the `endpoint` label of metrics and errors.
 * A leaf module, so that the config schema can name them without importing the client.
 */
export const ENDPOINTS = [
  'auth.tenantToken',
  'bot.info',
  'chat.create',
  'chat.get',
  'chat.members.create',
  'chat.members.list',
  'chat.members.delete',
  'chat.delete',
  'chat.update',
  'message.create',
  'message.reply',
  'message.patch',
  'message.delete',
  'card.update',
  'user.get',
  'user.batchGetId',
  'mailgroup.create',
  'mailgroup.get',
  'mailgroup.members.batchCreate',
  'mailgroup.members.list',
  'mailgroup.members.batchDelete',
  'mailgroup.delete',
  'mail.contact.create',
  'mail.contact.list',
  'mail.contact.delete',
  'mail.draft.create',
  'mail.draft.update',
  'mail.draft.get',
  'mail.draft.delete',
  'mail.draft.send',
  'mail.message.send',
] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

export interface EndpointLimit {
  perSecond?: number;
  perMinute?: number;
  /** Per target (chat, user or message): e.g. 5 QPS per chat for messages. */
  perKeyPerSecond?: number;
  /** Endpoints naming the same scope share their per-target budget (sends and replies spend one chat's 5 QPS). */
  perKeyScope?: string;
}
