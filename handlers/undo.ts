/**
 * Undo: every change the bot made for someone can be taken back from its own card (撤销 Undo, with Feishu's confirm
 * dialog), from /undo (your latest change) or from /audit, while `undo.windowHours` lasts. Only who made the change
 * may undo it, or whoever `commands["undo.others"]` allows (admins by default); both must still be allowed to run
 * the command that made it. The inverses are the journal's (src/changes/): exactly what that operation did.
 */
import { z } from 'zod';
import {
  successCard,
  undoOfferCard,
  undoResultCard,
  type Bilingual,
  type Card,
  type CardButton,
} from '../cards/index.js';
import { defineAction } from '../src/actions.js';
import type { App } from '../src/app.js';
import { loadChange, recentChanges, undoable, type Change, type Inverse } from '../src/changes/journal.js';
import { undoChange } from '../src/changes/undo.js';
import type { CommandSpec } from '../src/commands/spec.js';
import type { ActionContext, ActionResult, CommandContext } from '../src/context.js';
import { authorOnly } from '../src/middleware/author-only.js';
import { permission } from '../src/middleware/authorize.js';
import { ContextSlot } from '../src/middleware/listener.js';
import { utcTime } from './sign-in.js';

/** Undoing somebody else's change. */
export const UNDO_OTHERS_RULE = 'undo.others';
const UNDO_OTHERS_DEFAULT = ['admins'] as const;

export const undoAction = defineAction('change.undo', z.object({ change: z.string().min(1) }), {
  progress: { zh: '正在撤销', en: 'Undoing' },
});

/** The Undo button a change's card carries (none when the change has nothing to take back). */
export function undoButton(change: string | undefined): CardButton[] {
  if (!change) return [];
  return [
    undoAction.button(
      { change },
      {
        label: { zh: '撤销', en: 'Undo' },
        style: 'danger',
        confirm: { zh: '撤销这次操作？已创建的会被删除。', en: 'Undo this change? What it created is removed.' },
      },
    ),
  ];
}

/** How an inverse reads on a card: what Undo does (or did). */
export function describeInverse(u: Inverse): Bilingual {
  const names = (users: { name: string }[]) => users.map((p) => p.name);
  switch (u.op) {
    case 'chat.dissolve':
      return { zh: `解散群聊“${u.name}”`, en: `Dissolve the chat "${u.name}"` };
    case 'chat.members.remove':
      return {
        zh: `把 ${names(u.users).join('、')} 移出群“${u.chatName}”`,
        en: `Remove ${names(u.users).join(', ')} from "${u.chatName}"`,
      };
    case 'mailgroup.delete':
      return { zh: `删除邮件组 ${u.email}`, en: `Delete the mail group ${u.email}` };
    case 'mailgroup.members.remove':
      return {
        zh: `把 ${names(u.users).join('、')} 移出邮件组 ${u.email}`,
        en: `Remove ${names(u.users).join(', ')} from the mail group ${u.email}`,
      };
    case 'contact.delete':
      return { zh: `从 ${u.mailbox} 删除联系人 ${u.name}`, en: `Delete the contact ${u.name} from ${u.mailbox}` };
    case 'message.recall':
      return { zh: `撤回消息：${u.label.zh}`, en: `Recall the message: ${u.label.en}` };
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
        problem: s.problem ?? { zh: '尚未撤销', en: 'not undone yet' },
      })),
      ...(left.length && open
        ? { retry: undoAction.button({ change: change.id }, { label: { zh: '重试撤销', en: 'Retry undo' } }) }
        : {}),
    });
  }
  return undoOfferCard({
    heading: open ? { zh: '撤销这次操作？', en: 'Undo this change?' } : { zh: '已无法撤销', en: 'Too late to undo' },
    title: change.title,
    when: `${utcTime(change.at)} · ${change.actorName ?? change.actor}`,
    effects: change.steps.map((s) => describeInverse(s.undo)),
    ...(open ? { undo: undoButton(change.id)[0] } : {}),
    ...(open
      ? {}
      : {
          note: {
            zh: `撤销期限（${windowHours} 小时）已过，请在飞书中手动处理。`,
            en: `The undo window (${windowHours} h) has passed: change it in Feishu by hand.`,
          },
        }),
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
  gone: { zh: '这条操作记录已过期，无法撤销', en: 'This change is no longer on record: it cannot be undone' },
  notAuthor: {
    zh: '只有操作者本人或管理员可以撤销',
    en: 'Only the person who made this change, or an admin, can undo it',
  },
});

async function undo(ctx: ActionContext): Promise<ActionResult> {
  const change = theChange.get(ctx);
  const rule = permission(ctx.config.app, { kind: 'command', key: change.rule }, ctx.sender.openId);
  if (!rule.ok)
    return {
      toast: {
        type: 'error',
        text: {
          zh: `你不能运行 /${change.rule}，所以不能撤销它：请管理员撤销`,
          en: `You may not run /${change.rule}, so you cannot undo it: ask an admin`,
        },
      },
    };
  if (!change.undone && !undoable(change, windowOf(ctx), ctx.now()))
    return {
      card: changeCard(change, false, windowOf(ctx)),
      toast: { type: 'warning', text: { zh: '撤销期限已过', en: 'The undo window has passed' } },
    };
  const outcome = await undoChange(ctx.gateway, ctx.store, change.id, ctx.sender.openId, () => ctx.now());
  if (outcome.state === 'busy')
    return { toast: { type: 'info', text: { zh: '正在撤销，请稍候', en: 'Already undoing; one moment' } } };
  if (outcome.state === 'missing')
    return {
      toast: {
        type: 'error',
        text: {
          zh: '操作记录已过期，无法撤销：请在飞书中手动处理',
          en: 'The record has expired: change it in Feishu by hand',
        },
      },
    };
  const after = outcome.change;
  await ctx.audit('change.undo', after.id, outcome.state === 'undone' ? 'ok' : 'error', after.kind);
  return {
    card: changeCard(after, undoable(after, windowOf(ctx), ctx.now()), windowOf(ctx)),
    toast:
      outcome.state === 'undone'
        ? { type: 'success', text: { zh: '已撤销', en: 'Undone' } }
        : { type: 'warning', text: { zh: '部分未能撤销', en: 'Some of it could not be undone' } },
  };
}

const none = z.object({});
export const undoSpec: CommandSpec<typeof none> = {
  summary: { zh: '撤销你最近的一次操作', en: 'Undo your latest change' },
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
    title: { zh: '没有可撤销的操作', en: 'Nothing to undo' },
    tone: 'info',
    summary: {
      zh: `过去 ${window} 小时内你没有可撤销的操作。`,
      en: `You made no change in the last ${window} hours that can still be undone.`,
    },
  });
}

export function registerUndo(app: App): void {
  app.declareRule(UNDO_OTHERS_RULE);
  app.action(undoAction, mayUndo, undo);
  app.command('undo', undoSpec, latest);
}
