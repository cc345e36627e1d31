/**
 * Undo: every change the bot made for someone can be taken back from its own card (Undo, with Feishu's confirm
 * dialog), from /undo (your latest change) or from /audit, while `undo.windowHours` lasts. Only who made the change
 * may undo it, or whoever `commands["undo.others"]` allows (admins by default); both must still be allowed to run
 * the command that made it. The inverses are the journal's (src/changes/): exactly what that operation did.
 */
import { z } from 'zod';
import { successCard, undoOfferCard, undoResultCard, type Card, type CardButton } from '../cards/index.js';
import { defineAction } from '../src/actions.js';
import type { App } from '../src/app.js';
import { loadChange, recentChanges, undoable, type Change, type Inverse } from '../src/changes/journal.js';
import { undoChange } from '../src/changes/undo.js';
import type { CommandSpec } from '../src/commands/spec.js';
import type { ActionContext, ActionResult, CommandContext } from '../src/context.js';
import { listOf, t, type Text } from '../src/i18n.js';
import { authorOnly } from '../src/middleware/author-only.js';
import { permission } from '../src/middleware/authorize.js';
import { ContextSlot } from '../src/middleware/listener.js';
import { utcTime } from './sign-in.js';

/** Undoing somebody else's change. */
export const UNDO_OTHERS_RULE = 'undo.others';
const UNDO_OTHERS_DEFAULT = ['admins'] as const;

export const undoAction = defineAction('change.undo', z.object({ change: z.string().min(1) }), {
  progress: t('undo.progress'),
});

/** The Undo button a change's card carries (none when the change has nothing to take back). */
export function undoButton(change: string | undefined): CardButton[] {
  if (!change) return [];
  return [undoAction.button({ change }, { label: t('undo.button'), style: 'danger', confirm: t('undo.confirm') })];
}

/** How an inverse reads on a card: what Undo does (or did). */
export function describeInverse(u: Inverse): Text {
  const names = (users: { name: string }[]) => listOf(users.map((p) => p.name));
  switch (u.op) {
    case 'chat.dissolve':
      return t('undo.inverse.chatDissolve', { name: u.name });
    case 'chat.members.remove':
      return t('undo.inverse.chatMembersRemove', { users: names(u.users), chat: u.chatName });
    case 'mailgroup.delete':
      return t('undo.inverse.mailgroupDelete', { email: u.email });
    case 'mailgroup.members.remove':
      return t('undo.inverse.mailgroupMembersRemove', { users: names(u.users), email: u.email });
    case 'contact.delete':
      return t('undo.inverse.contactDelete', { name: u.name, mailbox: u.mailbox });
    case 'message.recall':
      return t('undo.inverse.messageRecall', { label: u.label });
  }
}

const windowOf = (ctx: { config: { app: { undo: { windowHours: number } } } }) => ctx.config.app.undo.windowHours;

/** What the record says now: undone, partly undone with what is left, or (window closed) what it did. */
export function changeCard(change: Change, open: boolean, windowHours: number): Card {
  const done = change.steps.filter((s) => s.state === 'done');
  if (change.undone || done.length > 0) {
    const left = change.steps.filter((s) => s.state !== 'done');
    return undoResultCard({
      title: change.title,
      undone: done.map((s) => describeInverse(s.undo)),
      left: left.map((s) => ({
        label: describeInverse(s.undo),
        problem: s.problem ?? t('undo.problem.notYet'),
      })),
      ...(left.length && open ? { retry: undoAction.button({ change: change.id }, { label: t('undo.retry') }) } : {}),
    });
  }
  return undoOfferCard({
    heading: open ? t('undo.offer.title') : t('undo.offer.tooLate'),
    title: change.title,
    when: `${utcTime(change.at)} · ${change.actorName ?? change.actor}`,
    effects: change.steps.map((s) => describeInverse(s.undo)),
    ...(open ? { undo: undoButton(change.id)[0] } : {}),
    ...(open ? {} : { note: t('undo.offer.windowPassed', { hours: windowHours }) }),
  });
}

const theChange = new ContextSlot<Change>('the change');

/** Who may click Undo: who made the change, or whoever the undo.others rule allows; both need the command's rule. */
const mayUndo = authorOnly<{ change: string }, Change>({
  slot: theChange,
  load: (ctx, { change }) => loadChange(ctx.store, change),
  author: (c) => c.actor,
  others: (ctx) =>
    permission(ctx.config.app, { kind: 'action', key: UNDO_OTHERS_RULE }, ctx.sender.openId, UNDO_OTHERS_DEFAULT).ok,
  audit: { action: 'change.undo', target: ({ change }) => change },
  gone: t('undo.toast.gone'),
  notAuthor: t('undo.toast.notAuthor'),
});

async function undo(ctx: ActionContext): Promise<ActionResult> {
  const change = theChange.get(ctx);
  const rule = permission(ctx.config.app, { kind: 'command', key: change.rule }, ctx.sender.openId);
  if (!rule.ok) return { toast: { type: 'error', text: t('undo.toast.notAllowed', { rule: change.rule }) } };
  if (!change.undone && !undoable(change, windowOf(ctx), ctx.now()))
    return {
      card: changeCard(change, false, windowOf(ctx)),
      toast: { type: 'warning', text: t('undo.toast.windowPassed') },
    };
  const outcome = await undoChange(ctx.gateway, ctx.store, change.id, ctx.sender.openId, () => ctx.now());
  if (outcome.state === 'busy') return { toast: { type: 'info', text: t('undo.toast.busy') } };
  if (outcome.state === 'missing') return { toast: { type: 'error', text: t('undo.toast.expired') } };
  const after = outcome.change;
  await ctx.audit('change.undo', after.id, outcome.state === 'undone' ? 'ok' : 'error', after.kind);
  return {
    card: changeCard(after, undoable(after, windowOf(ctx), ctx.now()), windowOf(ctx)),
    toast:
      outcome.state === 'undone'
        ? { type: 'success', text: t('undo.undone') }
        : { type: 'warning', text: t('undo.toast.partial') },
  };
}

const none = z.object({});
export const undoSpec: CommandSpec<typeof none> = {
  summary: t('undo.summary'),
  usage: '/undo',
  examples: ['/undo'],
  args: none,
};

/** /undo: the sender's latest change still in its window, as a card to confirm; or why there is none. */
async function latest(ctx: CommandContext): Promise<Card> {
  const window = windowOf(ctx);
  const mine = await recentChanges(ctx.store, { actor: ctx.sender.openId, limit: 20 });
  const change = mine.find((c) => undoable(c, window, ctx.now()));
  if (change) return changeCard(change, true, window);
  return successCard({
    title: t('undo.nothing.title'),
    tone: 'info',
    summary: t('undo.nothing.summary', { count: window }),
  });
}

export function registerUndo(app: App): void {
  app.declareRule(UNDO_OTHERS_RULE);
  app.action(undoAction, mayUndo, undo);
  app.command('undo', undoSpec, latest);
}
