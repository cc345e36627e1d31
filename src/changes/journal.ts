/**
 * The change journal: every change the bot makes for someone (a chat, its members, a mail group, a contact, an
 * onboarding run) is recorded with its inverse, exactly what that operation did, so it can be taken back from its
 * card, from /undo or from /audit while the undo window lasts (app.config.json `undo.windowHours`).
 *
 *   const id = await recordChange(ctx, { kind: 'im.chat.create', rule: 'group create', title, inverse: [dissolve] });
 *   return successCard({ …, actions: [undoButton(id)] });
 *
 * A change's id derives from its delivery, so a command run again after a crash rewrites the same record.
 */
import { z } from 'zod';
import type { Context, HandlerStore } from '../context.js';
import { textSchema, type Text } from '../i18n.js';
import { deriveKey } from '../keys.js';
import { keyspace, sortedIndex } from '../store/keyspace.js';

const DAY = 24 * 3_600_000;
/** Records outlive the longest window (30 days) so /audit can still say what was done and undone. */
const KEEP_MS = 31 * DAY;

const person = z.object({ openId: z.string(), name: z.string() });

/** One inverse: the call that takes back one effect, with the names a card shows. */
export const inverseSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('chat.dissolve'), chatId: z.string(), name: z.string() }),
  z.object({ op: z.literal('chat.members.remove'), chatId: z.string(), chatName: z.string(), users: z.array(person) }),
  z.object({ op: z.literal('mailgroup.delete'), mailgroupId: z.string(), email: z.string() }),
  z.object({
    op: z.literal('mailgroup.members.remove'),
    mailgroupId: z.string(),
    email: z.string(),
    users: z.array(person),
  }),
  z.object({
    op: z.literal('contact.delete'),
    mailbox: z.string(),
    contactId: z.string(),
    name: z.string(),
    /** The user whose own token made it (mailbox "me"); absent: the tenant token. */
    asUser: z.string().optional(),
  }),
  z.object({ op: z.literal('message.recall'), messageId: z.string(), label: textSchema }),
]);
export type Inverse = z.infer<typeof inverseSchema>;

const stepSchema = z.object({
  undo: inverseSchema,
  state: z.enum(['pending', 'done', 'failed']),
  problem: textSchema.optional(),
});
export type UndoStep = z.infer<typeof stepSchema>;

const changeSchema = z.object({
  id: z.string(),
  /** Who made it: the one who may always undo it. */
  actor: z.string(),
  actorName: z.string().optional(),
  /** What /audit filters on, e.g. "im.chat.create". */
  kind: z.string(),
  /** The command whose rule also lets others undo it (admins by default). */
  rule: z.string(),
  title: textSchema,
  at: z.number(),
  eventId: z.string().optional(),
  /** In the order they are to run: the last effect first. */
  steps: z.array(stepSchema),
  undone: z.object({ at: z.number(), by: z.string() }).optional(),
});
export type Change = z.infer<typeof changeSchema>;

const changes = keyspace('change', changeSchema, KEEP_MS);
/** Newest first: everyone's (for /audit) and each actor's (for /undo). */
const recent = sortedIndex('changes', { ttlMs: KEEP_MS, keep: 2_000 });
const ALL = 'all';

export interface NewChange {
  kind: string;
  rule: string;
  title: Text;
  /** In the order the effects happened; undo runs them backwards. */
  inverse: Inverse[];
  /** Defaults to the sender. */
  actor?: { openId: string; name?: string };
  /** Defaults to one derived from the delivery; an automation names its run. */
  id?: string;
}

/** Records a change (nothing to take back: no record) and returns its id, or undefined. */
export async function recordChange(ctx: Context, c: NewChange): Promise<string | undefined> {
  if (c.inverse.length === 0) return undefined;
  const actor = c.actor ?? (ctx.sender ? { openId: ctx.sender.openId, name: ctx.sender.name } : undefined);
  if (!actor) throw new Error(`change ${c.kind} has nobody who made it`);
  const id = c.id ?? deriveKey(ctx.dedupeKey, 'change', c.kind);
  const { inverse, ...what } = c;
  await saveNew(
    ctx.store,
    changeOf(
      { ...what, id, actor: actor.openId, ...(actor.name ? { actorName: actor.name } : {}), at: ctx.now() },
      inverse,
      ctx.eventId,
    ),
  );
  return id;
}

/** A change record whose inverses run last effect first. */
export function changeOf(
  c: Pick<Change, 'id' | 'actor' | 'actorName' | 'kind' | 'rule' | 'title' | 'at'>,
  inverse: Inverse[],
  eventId?: string,
): Change {
  return {
    ...c,
    ...(eventId ? { eventId } : {}),
    steps: [...inverse].reverse().map((undo) => ({ undo, state: 'pending' as const })),
  };
}

/** Writes a change unless one with its id exists (an automation's record is made once, whoever shows it first). */
export async function saveNew(store: HandlerStore, change: Change): Promise<void> {
  if (!(await changes.setIfAbsent(store, change.id, change))) return;
  await recent.add(store, ALL, change.id, change.at);
  await recent.add(store, change.actor, change.id, change.at);
}

export const loadChange = (store: HandlerStore, id: string): Promise<Change | undefined> => changes.get(store, id);
export const saveChange = (store: HandlerStore, change: Change): Promise<void> => changes.set(store, change.id, change);

/** The newest changes, everyone's or one person's, that still have a record. */
export async function recentChanges(store: HandlerStore, o: { actor?: string; limit: number }): Promise<Change[]> {
  const ids = await recent.list(store, o.actor ?? ALL, o.limit);
  const found = await Promise.all(ids.map((id) => changes.get(store, id)));
  return found.filter((c): c is Change => c !== undefined);
}

/** Whether the window to undo `change` is still open at `now`. */
export const undoable = (change: Change, windowHours: number, now: number): boolean =>
  !change.undone && now < change.at + windowHours * 3_600_000;
