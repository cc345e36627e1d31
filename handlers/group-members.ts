/**
 * Who may change a chat's members, and adding them: the chat's owner or a manager as Feishu reports them (not our
 * records) or an admin may add people (/group add and the picker's submit); a member may also make the chat's mail
 * group. Every id Feishu did not add is named with why, and the card is green only when everyone asked for is in.
 */
import { z } from 'zod';
import { errorCard, successCard, type Bilingual, type Card, type CardButton } from '../cards/index.js';
import { recordChange } from '../src/changes/journal.js';
import type { ActionContext, ActionResult } from '../src/context.js';
import { displayName } from '../src/feishu/directory-cache.js';
import { FeishuError } from '../src/feishu/errors.js';
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
  problems: string[];
}

/** Names every id Feishu did not add, with why. */
export function outcomeOf(
  tried: UserRef[],
  unusable: Unusable[],
  result: ChatMembersResult,
  already: UserRef[] = [],
): AddOutcome {
  const byId = new Map(tried.map((u) => [u.openId, u.name]));
  const named = (ids: string[], reason: Bilingual) =>
    ids.map((id) => describeUnusable({ openId: id, name: byId.get(id) ?? id, reason }));
  const skipped = new Set([...result.invalidIds, ...result.notExistedIds, ...result.pendingApprovalIds]);
  return {
    added: tried.filter((u) => !skipped.has(u.openId)),
    already,
    problems: [
      ...unusable.map(describeUnusable),
      ...named(result.invalidIds, { zh: 'ID 无效或已离职', en: 'invalid id or has left' }),
      ...named(result.notExistedIds, { zh: '不存在或不可见', en: 'does not exist or is not visible' }),
      ...named(result.pendingApprovalIds, { zh: '等待群主审批', en: "waiting for the owner's approval" }),
    ],
  };
}

export const noMembersResult: ChatMembersResult = { invalidIds: [], notExistedIds: [], pendingApprovalIds: [] };

export const namesOf = (users: UserRef[]) => users.map((u) => u.name).join('、');

/** The outcome of adding members, told as it is: green only when everyone asked for is in. */
function membersAddedCard(chatId: string, o: AddOutcome, undo: CardButton[]): Card {
  const fields = [
    { label: { zh: '群 ID', en: 'Chat ID' }, value: chatId },
    ...(o.added.length
      ? [{ label: { zh: '已添加', en: 'Added' }, value: `${o.added.length}：${namesOf(o.added)}` }]
      : []),
    ...(o.already.length
      ? [{ label: { zh: '本来就在群里', en: 'Already members' }, value: `${o.already.length}：${namesOf(o.already)}` }]
      : []),
  ];
  const notAdded = o.problems.length ? { list: { label: { zh: '未能添加', en: 'Not added' }, items: o.problems } } : {};
  if (o.added.length === 0 && o.problems.length) {
    return errorCard({
      title: { zh: '没有添加任何成员', en: 'No members were added' },
      problems: o.problems.map((p) => ({ zh: p, en: p })),
      nextStep: { zh: '按上面的原因处理后再试。', en: 'Deal with the reasons above, then try again.' },
      example: `/group add ${chatId} @成员`,
    });
  }
  if (o.added.length === 0) {
    return successCard({
      title: { zh: '无需添加', en: 'Nothing to add' },
      tone: 'info',
      summary: { zh: '要添加的人都已经在群里了。', en: 'Everyone you named is already in the chat.' },
      fields,
    });
  }
  return successCard({
    title: o.problems.length
      ? { zh: '部分成员已添加', en: 'Some members added' }
      : { zh: '成员已添加', en: 'Members added' },
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
  { ok: true; name: string; members: Set<string> } | { ok: false; problem: Bilingual; nextStep: Bilingual };

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
      problem: {
        zh: `只有群主${owner ? `（${owner}）` : ''}、群管理员或机器人管理员可以向群“${info.name}”添加成员。`,
        en: `Only the chat's owner${owner ? ` (${owner})` : ''}, its managers or the bot's admins may add members to "${info.name}".`,
      },
      nextStep: owner
        ? {
            zh: `请群主 ${owner} 添加，或请他把你设为群管理员。`,
            en: `Ask the owner, ${owner}, to add them or to make you a manager.`,
          }
        : refusal.nextStep,
    };
  }
  const members = new Set((await ctx.gateway.chats.members(chatId)).map((m) => m.openId));
  return { ok: true, name: info.name, members };
}

async function mayManage(ctx: Ctx, chatId: string, title: Bilingual): Promise<Manage> {
  try {
    const v = await manageVerdict(ctx, chatId);
    if (v.ok) return v;
    return {
      ok: false,
      card: errorCard({
        title: { zh: '不能向这个群添加成员', en: 'You cannot add members to this chat' },
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
      text: {
        zh: '只有这个群的成员、群主或群管理员可以为它创建邮件组',
        en: 'Only the members, owner or managers of this chat may make its mail group',
      },
    },
  };
}

/** What /group add and the picker's submit share: ownership, who is in already, the add, the honest card. */
export async function addToChat(ctx: Ctx, chatId: string, wanted: UserRef[]): Promise<Card> {
  const title: Bilingual = { zh: '添加群成员失败', en: 'Could not add the members' };
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
      title: {
        zh: `向群“${manage.name}”添加了 ${namesOf(o.added)}`,
        en: `Added ${namesOf(o.added)} to "${manage.name}"`,
      },
      inverse: o.added.length ? [{ op: 'chat.members.remove', chatId, chatName: manage.name, users: o.added }] : [],
    });
    return membersAddedCard(chatId, o, undoButton(change));
  } catch (err) {
    return failureCard(title, err, `/group add ${chatId} @成员`);
  }
}
