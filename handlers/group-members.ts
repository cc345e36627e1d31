/**
 * Who may change a chat's members, and adding them: the chat's owner or a manager as Feishu reports them (not our
 * records) or an admin may add people (/group add and the picker's submit); a member may also make the chat's mail
 * group. Every id Feishu did not add is named with why, and the card is green only when everyone asked for is in.
 */
import { z } from 'zod';
import { errorCard, successCard, type Card, type CardButton } from '../cards/index.js';

import { recordChange } from '../src/changes/journal.js';
import type { ActionContext, ActionResult } from '../src/context.js';
import { displayName } from '../src/feishu/directory-cache.js';
import { FeishuError } from '../src/feishu/errors.js';
import { t, type Text } from '../src/i18n.js';
import type { ChatInfo, ChatMembersResult } from '../src/feishu/ports.js';
import { explainRefusal } from '../src/middleware/authorize.js';
import { keyspace } from '../src/store/keyspace.js';
import {
  checkUsers,
  describeUnusable,
  failureCard,
  userRef,
  type Ctx,
  type Unusable,
  type UserRef,
} from './provision.js';
import { undoButton } from './undo.js';

const chatRecord = z.object({ name: z.string(), members: z.array(userRef) });
export const chats = keyspace('group', chatRecord, 30 * 24 * 3_600_000);

export interface AddOutcome {
  added: UserRef[];
  /** Asked for but already in the chat: neither added nor a failure. */
  already: UserRef[];
  problems: Text[];
}

/** Names every id Feishu did not add, with why. */
export function outcomeOf(
  tried: UserRef[],
  unusable: Unusable[],
  result: ChatMembersResult,
  already: UserRef[] = [],
): AddOutcome {
  const byId = new Map(tried.map((u) => [u.openId, u.name]));
  const named = (ids: string[], reason: Text) =>
    ids.map((id) => describeUnusable({ openId: id, name: byId.get(id) ?? id, reason }));
  const skipped = new Set([...result.invalidIds, ...result.notExistedIds, ...result.pendingApprovalIds]);
  return {
    added: tried.filter((u) => !skipped.has(u.openId)),
    already,
    problems: [
      ...unusable.map(describeUnusable),
      ...named(result.invalidIds, t('group.unusable.invalidId')),
      ...named(result.notExistedIds, t('group.unusable.notFound')),
      ...named(result.pendingApprovalIds, t('group.unusable.pendingApproval')),
    ],
  };
}

export const noMembersResult: ChatMembersResult = { invalidIds: [], notExistedIds: [], pendingApprovalIds: [] };

export const namesOf = (users: UserRef[]) => users.map((u) => u.name).join('、');

/** The outcome of adding members, told as it is: green only when everyone asked for is in. */
function membersAddedCard(chatId: string, o: AddOutcome, undo: CardButton[]): Card {
  const fields = [
    { label: t('group.field.chatId'), value: chatId },
    ...(o.added.length ? [{ label: t('group.field.added'), value: `${o.added.length}：${namesOf(o.added)}` }] : []),
    ...(o.already.length
      ? [{ label: t('group.field.already'), value: `${o.already.length}：${namesOf(o.already)}` }]
      : []),
  ];
  const notAdded = o.problems.length ? { list: { label: t('group.field.notAdded'), items: o.problems } } : {};
  if (o.added.length === 0 && o.problems.length) {
    return errorCard({
      title: t('group.noneAdded.title'),
      problems: o.problems,
      nextStep: t('group.noneAdded.nextStep'),
      example: `/group add ${chatId} @成员`,
    });
  }
  if (o.added.length === 0) {
    return successCard({
      title: t('group.nothingToAdd.title'),
      tone: 'info',
      summary: t('group.nothingToAdd.summary'),
      fields,
    });
  }
  return successCard({
    title: t(o.problems.length ? 'group.someAdded' : 'group.membersAdded'),
    tone: o.problems.length ? 'partial' : 'done',
    fields,
    ...notAdded,
    actions: undo,
  });
}

type Manage = { ok: true; name: string; members: Set<string> } | { ok: false; card: Card };

/** The chat's owner or a manager, as Feishu reports them (not our records), or one of the bot's admins. */
const manages = (ctx: Ctx, info: ChatInfo): boolean =>
  info.ownerId === ctx.sender.openId ||
  info.managerIds.includes(ctx.sender.openId) ||
  ctx.config.app.admins.includes(ctx.sender.openId);

export type ManageVerdict =
  { ok: true; name: string; members: Set<string> } | { ok: false; problem: Text; nextStep: Text };

/**
 * Whether the sender may add people to the chat: its owner or a manager as Feishu reports them, or an admin. Also
 * returns who is in the chat already. Feishu's refusals (232011: the bot is not in it; no such chat) are thrown.
 * Shared by /group add and /bulk members, so a row is refused exactly as the command is.
 */
export async function manageVerdict(ctx: Ctx, chatId: string): Promise<ManageVerdict> {
  const info = await ctx.gateway.chats.get(chatId);
  if (!manages(ctx, info)) {
    const owner = info.ownerId ? await displayName(ctx.gateway.directory, info.ownerId) : undefined;
    const refusal = await explainRefusal(ctx.config.app, ctx.gateway.directory, `/group add`, ['admins']);
    return {
      ok: false,
      problem: owner
        ? t('group.onlyManagersOwner', { name: info.name, owner })
        : t('group.onlyManagers', { name: info.name }),
      nextStep: owner ? t('group.askOwner', { owner }) : refusal.nextStep,
    };
  }
  const members = new Set((await ctx.gateway.chats.members(chatId)).map((m) => m.openId));
  return { ok: true, name: info.name, members };
}

async function mayManage(ctx: Ctx, chatId: string, title: Text): Promise<Manage> {
  try {
    const v = await manageVerdict(ctx, chatId);
    if (v.ok) return v;
    return {
      ok: false,
      card: errorCard({
        title: t('group.cannotAdd'),
        problems: [v.problem],
        nextStep: v.nextStep,
      }),
    };
  } catch (err) {
    return { ok: false, card: failureCard(title, err, `/group add ${chatId} @成员`) };
  }
}

/**
 * Whether the clicker may make a mail group of the chat, whose name and members the form shows: a member, the owner
 * or a manager as Feishu says (the button's chat id proves nothing about the clicker), or an admin. Undefined when
 * allowed, else the error toast; a refusal changes nothing.
 */
export async function mayUseChat(ctx: ActionContext, chatId: string): Promise<ActionResult | undefined> {
  try {
    const info = await ctx.gateway.chats.get(chatId);
    if (manages(ctx, info) || (await ctx.gateway.chats.members(chatId)).some((m) => m.openId === ctx.sender.openId))
      return undefined;
  } catch (err) {
    if (!(err instanceof FeishuError)) throw err;
    return { toast: { type: 'error', text: err.explain().problem } };
  }
  await ctx.audit('mail.mailgroup.create', chatId, 'refused', 'not in the chat');
  return {
    toast: {
      type: 'error',
      text: t('group.mailgroupRefused'),
    },
  };
}

/** What /group add and the picker's submit share: ownership, who is in already, the add, the honest card. */
export async function addToChat(ctx: Ctx, chatId: string, wanted: UserRef[]): Promise<Card> {
  const title = t('group.addFailed');
  const manage = await mayManage(ctx, chatId, title);
  if (!manage.ok) {
    await ctx.audit('im.chat.members.create', chatId, 'refused');
    return manage.card;
  }
  try {
    const unique = [...new Map(wanted.map((u) => [u.openId, u])).values()];
    const already = unique.filter((u) => manage.members.has(u.openId));
    const { usable, unusable } = await checkUsers(
      ctx.gateway.directory,
      unique.filter((u) => !manage.members.has(u.openId)),
    );
    const result = usable.length
      ? await ctx.gateway.chats.addMembers(
          chatId,
          usable.map((u) => u.openId),
        )
      : noMembersResult;
    const o = outcomeOf(usable, unusable, result, already);
    const known = await chats.get(ctx.store, chatId);
    if (known) {
      const members = [...new Map([...known.members, ...o.added].map((u) => [u.openId, u])).values()];
      await chats.set(ctx.store, chatId, { ...known, members });
    }
    await ctx.audit(
      'im.chat.members.create',
      chatId,
      'ok',
      `${o.added.length} added, ${o.already.length} already in, ${o.problems.length} not added`,
    );
    // Only those this command added: who was in before stays in on Undo.
    const change = await recordChange(ctx, {
      kind: 'im.chat.members.create',
      rule: 'group add',
      title: t('group.changeAdded', { name: manage.name, members: namesOf(o.added) }),
      inverse: o.added.length ? [{ op: 'chat.members.remove', chatId, chatName: manage.name, users: o.added }] : [],
    });
    return membersAddedCard(chatId, o, undoButton(change));
  } catch (err) {
    return failureCard(title, err, `/group add ${chatId} @成员`);
  }
}
