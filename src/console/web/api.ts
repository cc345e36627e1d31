/**
 * What the console reads and sends: the emulator's control API (proxied under /_emulator/ on this origin) and the
 * console's own /console/api/. Every answer is parsed with a schema; unknown fields pass through untouched.
 */
// zod/mini: the same schemas without the locales and methods of full zod, a fraction of the bundle.
import { z } from 'zod/mini';
import { catalogSchema, infoSchema } from '../protocol.js';
import { inLanguage } from './language.js';

const user = z.looseObject({
  open_id: z.string(),
  name: z.string(),
  en_name: z.string(),
  email: z.string(),
  enterprise_email: z.string(),
  job_title: z.string(),
  resigned: z.boolean(),
  invisible: z.boolean(),
  tenant_key: z.string(),
});
export type User = z.infer<typeof user>;

const chat = z.looseObject({
  chatId: z.string(),
  chatMode: z.enum(['group', 'p2p']),
  chatType: z.string(),
  name: z.string(),
  description: z.string(),
  ownerId: z.string(),
  members: z.array(z.string()),
  /** Users the remove-members API took out; absent from an older emulator. */
  removedMembers: z.optional(z.array(z.string())),
  dissolvedAt: z.optional(z.number()),
  createdAt: z.number(),
});
export type Chat = z.infer<typeof chat>;

const message = z.looseObject({
  messageId: z.string(),
  chatId: z.string(),
  parentId: z.optional(z.string()),
  sender: z.object({ type: z.enum(['app', 'user']), id: z.string() }),
  msgType: z.string(),
  content: z.string(),
  card: z.optional(z.record(z.string(), z.unknown())),
  mentions: z.optional(z.array(z.object({ key: z.string(), id: z.string(), name: z.string() }))),
  createdAt: z.number(),
  updatedAt: z.number(),
  updated: z.boolean(),
  deleted: z.boolean(),
});
export type Message = z.infer<typeof message>;

const address = z.looseObject({ mail_address: z.string(), name: z.string() });
const eml = z.looseObject({
  subject: z.string(),
  from: z.optional(address),
  to: z.array(address),
  cc: z.array(address),
  text: z.string(),
  html: z.string(),
  attachments: z.array(z.looseObject({ filename: z.string(), mimeType: z.string(), size: z.number() })),
});
export type Eml = z.infer<typeof eml>;

const mailMember = z.looseObject({ type: z.string(), email: z.optional(z.string()), openId: z.optional(z.string()) });
const mailContact = z.looseObject({ id: z.string(), name: z.string(), mail_address: z.optional(z.string()) });
/** What the delete APIs took away: a mail group, a member of one, a contact. */
const removedMail = z.looseObject({
  kind: z.enum(['mailgroup', 'member', 'contact']),
  at: z.number(),
  email: z.optional(z.string()),
  name: z.optional(z.string()),
  mailgroup: z.optional(z.string()),
  member: z.optional(mailMember),
  mailbox: z.optional(z.string()),
  contact: z.optional(mailContact),
});
export type RemovedMail = z.infer<typeof removedMail>;

const mail = z.looseObject({
  mailgroups: z.array(
    z.looseObject({
      mailgroup_id: z.string(),
      email: z.string(),
      name: z.string(),
      who_can_send_mail: z.string(),
      members: z.array(mailMember),
    }),
  ),
  contacts: z.record(z.string(), z.array(mailContact)),
  removed: z.optional(z.array(removedMail)),
  drafts: z.array(z.looseObject({ id: z.string(), mailbox: z.string(), summary: eml })),
  sent: z.array(z.looseObject({ message_id: z.string(), mailbox: z.string(), summary: eml, sentAt: z.number() })),
});
export type Mail = z.infer<typeof mail>;

export const stateSchema = z.looseObject({
  app: z.looseObject({ appId: z.string(), appName: z.string(), botOpenId: z.string(), tenantKey: z.string() }),
  users: z.array(user),
  /** open_id → the user's Feishu client language; absent from an older emulator. */
  clientLanguages: z.optional(z.record(z.string(), z.string())),
  chats: z.array(chat),
  messages: z.array(message),
  mail: z.optional(mail),
  faults: z.array(z.record(z.string(), z.unknown())),
});
export type EmulatorState = z.infer<typeof stateSchema>;

const callSchema = z.looseObject({
  seq: z.number(),
  at: z.number(),
  method: z.string(),
  path: z.string(),
  query: z.unknown(),
  body: z.unknown(),
  caller: z.string(),
  status: z.number(),
  code: z.optional(z.number()),
  fault: z.boolean(),
  answer: z.optional(z.unknown()),
});
export type Call = z.infer<typeof callSchema>;

const eventSchema = z.looseObject({
  seq: z.number(),
  eventId: z.string(),
  type: z.string(),
  state: z.string(),
  payload: z.record(z.string(), z.unknown()),
  attempts: z.array(
    z.looseObject({ at: z.number(), status: z.optional(z.number()), error: z.optional(z.string()), ms: z.number() }),
  ),
});
export type PushedEvent = z.infer<typeof eventSchema>;

const toastSchema = z.looseObject({
  type: z.optional(z.string()),
  content: z.optional(z.string()),
  i18n: z.optional(z.record(z.string(), z.string())),
});

const callbackSchema = z.looseObject({
  seq: z.number(),
  messageId: z.string(),
  at: z.number(),
  status: z.optional(z.number()),
  error: z.optional(z.string()),
  ms: z.number(),
  payload: z.record(z.string(), z.unknown()),
  response: z.optional(z.looseObject({ toast: z.optional(toastSchema) })),
});
export type Callback = z.infer<typeof callbackSchema>;

export const clickResultSchema = z.looseObject({
  status: z.optional(z.number()),
  error: z.optional(z.string()),
  ms: z.number(),
  response: z.optional(z.looseObject({ toast: z.optional(toastSchema) })),
});
export type ClickResult = z.infer<typeof clickResultSchema>;

const sentMessageSchema = z.looseObject({ messageId: z.string() });
const okSchema = z.unknown();

export async function call<S extends z.ZodMiniType>(
  path: string,
  schema: S,
  init?: { method: string; body?: unknown },
): Promise<z.infer<S>> {
  const res = await fetch(
    path,
    init && {
      method: init.method,
      ...(init.body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(init.body) }),
    },
  );
  const json: unknown = await res.json().catch(() => ({ error: `HTTP ${res.status}, not JSON` }));
  if (!res.ok) {
    const reason = (json as { error?: unknown }).error;
    throw new Error(typeof reason === 'string' ? reason : `HTTP ${res.status}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new Error(
      `${path}: unexpected answer: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}

export const post = <S extends z.ZodMiniType>(path: string, body: unknown, schema: S) =>
  call(path, schema, { method: 'POST', body });

export const api = {
  info: () => call('/console/api/info', infoSchema),
  catalog: () => call('/console/api/commands', catalogSchema),
  state: () => call('/_emulator/state', stateSchema),
  calls: (since: number) => call(`/_emulator/calls?since=${since}`, z.object({ calls: z.array(callSchema) })),
  deliveries: (since: number) =>
    call(
      `/_emulator/deliveries?since=${since}`,
      z.object({ events: z.array(eventSchema), callbacks: z.array(callbackSchema) }),
    ),
  say: (from: string, text: string, chatId?: string) =>
    post('/_emulator/events/message', { from, text, ...(chatId ? { chatId } : {}) }, sentMessageSchema),
  /** A user sends a file message (its bytes base64), p2p unless chatId is given. */
  sendFile: (from: string, fileName: string, contentBase64: string, chatId?: string) =>
    post('/_emulator/events/file', { from, fileName, contentBase64, ...(chatId ? { chatId } : {}) }, sentMessageSchema),
  click: (input: {
    messageId: string;
    by: string;
    action?: string;
    label?: string;
    formValue?: Record<string, unknown>;
  }) => post('/_emulator/events/click', input, clickResultSchema),
  /** Adds a user to the emulator's directory and pushes contact.user.created_v3 for them. */
  newHire: (hire: { name: string; department: string; leader: string; jobTitle: string; enName?: string }) =>
    post('/_emulator/events/user-created', hire, okSchema),
  /** Marks a user resigned and pushes contact.user.deleted_v3 for them. */
  leaves: (user: string) => post('/_emulator/events/user-deleted', { user }, okSchema),
  /** A user switches their Feishu client's language. */
  setLanguage: (user: string, language: string) =>
    post('/_emulator/client-language', { user, language }, z.object({ language: z.string() })),
  addFault: (fault: Record<string, unknown>) => post('/_emulator/faults', fault, okSchema),
  clearFaults: () => call('/_emulator/faults', okSchema, { method: 'DELETE' }),
};

/** The toast in the reader's language, falling back as a card text does. */
export const toastText = (t: z.infer<typeof toastSchema>, language: string): string =>
  inLanguage(t.i18n, t.content, language);
