/**
 * The events the app understands, each defined once as a zod schema of the envelope's `event` object
 * (each cites its Feishu event page); handler types are inferred from them:
 *
 *   app.event('contact.user.created_v3', async (ctx, e) => e.object.open_id)   // e: FeishuEvents['contact.user.created_v3']
 *
 * Schemas are loose: fields Feishu adds (or sends only with extra scopes) pass through untouched.
 * An event type without a schema here cannot be registered: add its schema first, so its handler is typed too.
 */
import { z } from 'zod';
import type { Sender } from './context.js';
import type { Delivery } from './delivery.js';
import { textSchema } from './i18n.js';
import { INTERNAL_EVENT_PREFIX } from './protocol/envelope.js';

export const SIGN_IN_COMPLETED = `${INTERNAL_EVENT_PREFIX}sign_in.completed`;
/** A held mail's time has come (Undo send): the bot schedules it for itself when Send is clicked. */
export const MAIL_RELEASE = `${INTERNAL_EVENT_PREFIX}mail.release`;
/** The bot's own record that an approval request was approved: the inbox runs its command (handlers/approvals.ts). */
export const APPROVAL_APPROVED = `${INTERNAL_EVENT_PREFIX}approval.approved`;
/** Feishu "审批实例状态变更" in the schema 2.0 form the SDK types (`approval.instance.status_changed_v4`). */
export const APPROVAL_INSTANCE_CHANGED = 'approval.instance.status_changed_v4';
/** The same event as the schema 1.0 push `approval_instance` delivers it (its `event.type`). */
export const APPROVAL_INSTANCE_V1 = 'approval_instance';

export const userIds = z.looseObject({ open_id: z.string(), union_id: z.string(), user_id: z.string() }).partial();

const mention = z.looseObject({ key: z.string(), id: userIds.optional(), name: z.string().optional() });

/** Feishu "接收消息": a message to the bot; text content is JSON in `content`. */
const messageReceive = z.looseObject({
  sender: z.looseObject({ sender_id: userIds.optional(), sender_type: z.string().optional() }),
  message: z.looseObject({
    message_id: z.string(),
    /** The message this one replies to. */
    parent_id: z.string().optional(),
    chat_id: z.string(),
    chat_type: z.string(),
    message_type: z.string(),
    content: z.string(),
    mentions: z.array(mention).optional(),
  }),
});

/** A file a user sent (Feishu "接收消息内容", msg_type "file": `{"file_key", "file_name"}`, and no text). */
export interface SentFile {
  fileKey: string;
  fileName: string;
}

const fileContent = z.object({ file_key: z.string().min(1), file_name: z.string() });

/** The file a file message's content names, or undefined when it names none. */
export function fileOf(content: string): SentFile | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    return undefined;
  }
  const file = fileContent.safeParse(parsed);
  return file.success ? { fileKey: file.data.file_key, fileName: file.data.file_name } : undefined;
}

/** Feishu "机器人进群": the bot was added to a chat. */
const botAdded = z.looseObject({
  chat_id: z.string(),
  operator_id: userIds.optional(),
  name: z.string().optional(),
  external: z.boolean().optional(),
});

/** Feishu "机器人自定义菜单事件": a bot menu item of type "event" was clicked. */
const botMenu = z.looseObject({
  operator: z.looseObject({ operator_id: userIds.optional(), operator_name: z.string().optional() }),
  event_key: z.string(),
  timestamp: z.number().optional(),
});

/**
 * Feishu "员工入职" (contact.user.created_v3) and "员工离职" (contact.user.deleted_v3): the user as the directory held
 * them. Every field but the ids depends on the app's field scopes.
 */
const directoryUser = z.looseObject({
  object: z.looseObject({
    open_id: z.string(),
    union_id: z.string().optional(),
    user_id: z.string().optional(),
    name: z.string().optional(),
    en_name: z.string().optional(),
    email: z.string().optional(),
    enterprise_email: z.string().optional(),
    mobile: z.string().optional(),
    job_title: z.string().optional(),
    department_ids: z.array(z.string()).optional(),
    leader_user_id: z.string().optional(),
    employee_no: z.string().optional(),
    status: z.looseObject({ is_resigned: z.boolean(), is_activated: z.boolean() }).partial().optional(),
  }),
});

/**
 * Not from Feishu: the bot's own record that a sign-in came back (written by `GET /oauth/callback`, run by the
 * inbox). `resume` is the command waiting for it, sealed under TOKEN_ENCRYPTION_KEY with the event id.
 * Transports refuse pushes of this type (`isInternalEvent`), so only the bot itself can enqueue one.
 */
const signInCompleted = z.object({
  open_id: z.string(),
  chat_id: z.string().optional(),
  outcome: z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true) }),
    z.object({ ok: z.literal(false), problem: textSchema }),
  ]),
  resume: z.string().optional(),
});

/** Not from Feishu: the held mail to send now, and who it is from (the hold's author). */
const mailRelease = z.object({ hold: z.string(), author: z.string(), chat_id: z.string().optional() });
/** Not from Feishu: an approved request, by id; the request record (sealed) says what runs and as whom. */
const approvalApproved = z.object({ request: z.string().min(1) });

/**
 * Feishu "审批实例状态变更": an approval instance changed status (PENDING, APPROVED, REJECTED, CANCELED, DELETED,
 * REVERTED, OVERTIME_CLOSE, OVERTIME_RECOVER). Both wire forms carry these fields.
 */
const approvalInstance = z.looseObject({
  approval_code: z.string(),
  instance_code: z.string(),
  status: z.string(),
  operate_time: z.union([z.string(), z.number()]).optional(),
  start_user: userIds.optional(),
});

const cardActionValue = z.looseObject({
  value: z.record(z.string(), z.unknown()).optional(),
  form_value: z.record(z.string(), z.unknown()).optional(),
});

/**
 * Feishu "卡片回传交互回调", the whole envelope, in both wire forms: schema 2.0 and the flat legacy form
 * ("消息卡片回传交互（旧）"). The receiver rewrites legacy callbacks into the 2.0 form; the flat one is still read for
 * deliveries built elsewhere.
 */
export const cardCallback = z.union([
  z
    .object({
      event: z.looseObject({
        operator: userIds.optional(),
        token: z.string().optional(),
        action: cardActionValue,
        context: z.looseObject({ open_message_id: z.string(), open_chat_id: z.string() }).partial().optional(),
      }),
    })
    .transform(({ event: e }) => ({
      operator: e.operator,
      token: e.token,
      action: e.action,
      messageId: e.context?.open_message_id,
      chatId: e.context?.open_chat_id,
    })),
  z
    .object({
      open_id: z.string().optional(),
      user_id: z.string().optional(),
      open_message_id: z.string().optional(),
      open_chat_id: z.string().optional(),
      token: z.string().optional(),
      action: cardActionValue,
    })
    .transform((l) => ({
      operator: { open_id: l.open_id, user_id: l.user_id },
      token: l.token,
      action: l.action,
      messageId: l.open_message_id,
      chatId: l.open_chat_id,
    })),
]);

export const eventSchemas = {
  'im.message.receive_v1': messageReceive,
  'im.chat.member.bot.added_v1': botAdded,
  'application.bot.menu_v6': botMenu,
  'contact.user.created_v3': directoryUser,
  'contact.user.deleted_v3': directoryUser,
  [SIGN_IN_COMPLETED]: signInCompleted,
  [MAIL_RELEASE]: mailRelease,
  [APPROVAL_APPROVED]: approvalApproved,
  [APPROVAL_INSTANCE_CHANGED]: approvalInstance,
  [APPROVAL_INSTANCE_V1]: approvalInstance,
} as const;

/** Event type → its parsed payload. */
export type FeishuEvents = { [K in keyof typeof eventSchemas]: z.output<(typeof eventSchemas)[K]> } & {
  'card.action.trigger': z.output<typeof cardCallback>;
};

/** Events handed to `app.event` handlers; messages reach commands and clicks reach actions instead. */
export type AppEventName = Exclude<keyof typeof eventSchemas, 'im.message.receive_v1'>;

export function toSender(id: z.infer<typeof userIds> | undefined, name?: string): Sender | undefined {
  return id?.open_id
    ? {
        openId: id.open_id,
        ...(id.union_id ? { unionId: id.union_id } : {}),
        ...(id.user_id ? { userId: id.user_id } : {}),
        ...(name ? { name } : {}),
      }
    : undefined;
}

/** Who acted and where, for the context of each app event. */
export const partiesOf: {
  [K in AppEventName]: (e: FeishuEvents[K]) => { sender?: Sender | undefined; chatId?: string };
} = {
  'im.chat.member.bot.added_v1': (e) => ({ sender: toSender(e.operator_id), chatId: e.chat_id }),
  'application.bot.menu_v6': (e) => ({ sender: toSender(e.operator.operator_id, e.operator.operator_name) }),
  'contact.user.created_v3': () => ({}),
  'contact.user.deleted_v3': () => ({}),
  [SIGN_IN_COMPLETED]: (e) => ({ sender: { openId: e.open_id }, ...(e.chat_id ? { chatId: e.chat_id } : {}) }),
  [MAIL_RELEASE]: (e) => ({ sender: { openId: e.author }, ...(e.chat_id ? { chatId: e.chat_id } : {}) }),
  // Who and where come from the request record, not from the event.
  [APPROVAL_APPROVED]: () => ({}),
  [APPROVAL_INSTANCE_CHANGED]: () => ({}),
  [APPROVAL_INSTANCE_V1]: () => ({}),
};

/** The bot's own events, which it enqueues for itself (transports refuse them from outside). */
export type InternalEventName = typeof SIGN_IN_COMPLETED | typeof MAIL_RELEASE | typeof APPROVAL_APPROVED;

/**
 * An internal event as a delivery for the inbox: `id` is its identity (a re-enqueue is a duplicate), `notBefore`
 * holds it back until its time.
 */
export function internalDelivery<K extends InternalEventName>(
  type: K,
  event: FeishuEvents[K],
  id: string,
  now: number,
  notBefore?: number,
): Delivery {
  return {
    kind: 'event',
    type,
    id,
    dedupeKey: id,
    receivedAt: now,
    ...(notBefore !== undefined ? { notBefore } : {}),
    payload: { schema: '2.0', header: { event_id: id, event_type: type, create_time: String(now) }, event },
  };
}
