/**
 * Endpoint names: the keys of `rateLimits` in app.config.json, the `endpoint` label of metrics and errors.
 * A leaf module, so that the config schema can name them without importing the client.
 */
export const ENDPOINTS = [
  'auth.tenantToken',
  'bot.info',
  'chat.create',
  'chat.get',
  'chat.list',
  'chat.members.create',
  'chat.members.list',
  'chat.members.delete',
  'chat.delete',
  'chat.update',
  'message.create',
  'message.reply',
  'message.patch',
  'message.delete',
  'message.get',
  'message.resource',
  'card.update',
  'user.get',
  'user.batchGetId',
  'mailgroup.create',
  'mailgroup.get',
  'mailgroup.list',
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
  'approval.subscribe',
  'approval.instance.create',
  'approval.instance.get',
  'approval.instance.cancel',
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

/** Documented quotas (the "接口频率限制" row of each Feishu API page). Endpoints not listed have no documented quota. */
export const DEFAULT_LIMITS: Partial<Record<Endpoint, EndpointLimit>> = {
  'chat.create': { perSecond: 50, perMinute: 1000 },
  'chat.members.create': { perSecond: 50, perMinute: 1000 },
  'chat.get': { perSecond: 50, perMinute: 1000 },
  'chat.list': { perSecond: 50, perMinute: 1000 },
  'chat.members.list': { perSecond: 50, perMinute: 1000 },
  'chat.members.delete': { perSecond: 50, perMinute: 1000 },
  'chat.delete': { perSecond: 50, perMinute: 1000 },
  'chat.update': { perSecond: 50, perMinute: 1000 },
  'message.create': { perSecond: 50, perMinute: 1000, perKeyPerSecond: 5, perKeyScope: 'chat-messages' },
  'message.reply': { perSecond: 50, perMinute: 1000, perKeyPerSecond: 5, perKeyScope: 'chat-messages' },
  'message.patch': { perSecond: 50, perMinute: 1000, perKeyPerSecond: 5 },
  'message.get': { perSecond: 50, perMinute: 1000 },
  'message.resource': { perSecond: 50, perMinute: 1000 },
  'user.get': { perSecond: 50, perMinute: 1000 },
  'user.batchGetId': { perSecond: 50, perMinute: 1000 },
  'mailgroup.create': { perSecond: 100 },
  'mailgroup.members.batchCreate': { perSecond: 20 },
  'mail.contact.create': { perMinute: 20 },
  'mail.contact.delete': { perMinute: 20 },
  'mail.draft.create': { perSecond: 5 },
  'mail.draft.send': { perMinute: 20 },
  'mail.message.send': { perMinute: 100 },
  'approval.instance.create': { perMinute: 100 },
};
