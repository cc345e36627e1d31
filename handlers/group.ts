/**
 * /group create <name> [@members…] [desc="…"] [owner=@user] [--public] [--thread], /group add <chat_id> [@members…],
 * and the buttons of the success card: "Add members" (a card with the /group add command for this chat) and
 * "Create a mailgroup for this chat" (<slug of the name>@<the clicker's mail domain>, with the chat's members).
 * The chat uuid is derived from the command's message, so a redelivered or resumed command gets the same chat.
 */
import { z } from 'zod';
import { errorCard, successCard, type Bilingual, type Card } from '../cards/index.js';
import { defineAction } from '../src/actions.js';
import type { App } from '../src/app.js';
import type { CommandSpec } from '../src/commands/spec.js';
import type { CommandContext } from '../src/context.js';
import { FeishuError } from '../src/feishu/errors.js';
import type { ChatMembersResult } from '../src/feishu/ports.js';
import { keyspace } from '../src/store/keyspace.js';
import { MAILGROUP_FAILED, provisionMailgroup } from './mailgroup.js';
import {
  answerInTime, chars, checkUsers, describeUnusable, domainOf, failureCard, idempotencyKey, ownMailbox, userRef, type Ctx, type Unusable, type UserRef,
} from './provision.js';

/** Users per chat-create call (im-chat-create.md); the rest are added in batches. */
const CREATE_BATCH = 50;

const createArgs = z.object({
  name: chars(60, 1).describe('群名称 / chat name'),
  members: z.array(userRef).default([]).describe('成员 / members'),
  desc: chars(100).optional().describe('群描述 / description'),
  owner: userRef.optional().describe('群主（默认是你），写作 owner=@用户 / owner (default: you), as owner=@user'),
  public: z.boolean().default(false).describe('公开群（可被搜索到） / a public chat anyone can find'),
  thread: z.boolean().default(false).describe('话题群 / a topic (thread) chat'),
});

export const groupCreateSpec: CommandSpec<typeof createArgs> = {
  summary: { zh: '创建群聊并拉入成员', en: 'Create a group chat with members' },
  usage: '/group create <name> [@成员…] [desc="…"] [owner=@用户] [--public] [--thread]',
  examples: ['/group create 运维值班', '/group create "Ops On-call" desc="值班沟通" --public --thread'],
  args: createArgs,
  positionals: ['name'],
  mentions: 'members',
};

const addArgs = z.object({
  chat: z.string().regex(/^oc_[A-Za-z0-9]+$/, '应为群 ID，如 oc_1a2b3c / must be a chat id such as oc_1a2b3c').describe('群 ID / chat id'),
  members: z.array(userRef).min(1, '至少 @ 一位成员 / mention at least one member').describe('要添加的成员 / members to add'),
});

export const groupAddSpec: CommandSpec<typeof addArgs> = {
  summary: { zh: '向群里添加成员', en: 'Add members to a group chat' },
  usage: '/group add <chat_id> @成员…',
  // Examples must run as written and this one needs @mentions, which typed text cannot carry.
  examples: [],
  args: addArgs,
  positionals: ['chat'],
  mentions: 'members',
};

/**
 * What the buttons of a created chat need later; kept per chat so the buttons carry only the chat id. Kept for
 * 30 days: a click after that is told the record expired and shown the command instead.
 */
const chatRecord = z.object({ name: z.string(), members: z.array(userRef) });
const chats = keyspace('group', chatRecord, 30 * 24 * 3_600_000);

const chatAction = z.object({ chatId: z.string().regex(/^oc_[A-Za-z0-9]+$/, '按钮缺少群 ID / the button lacks a chat id') });
/** "Add members" on the success card: answers with the /group add command for the chat. */
export const addMembersAction = defineAction('group.add-members', chatAction);
/** "Create a mailgroup for this chat" on the success card. */
export const chatMailgroupAction = defineAction('group.mailgroup', chatAction);

const TITLE_FAILED: Bilingual = { zh: '群聊创建失败', en: 'Could not create the group chat' };

interface AddOutcome {
  added: UserRef[];
  problems: string[];
}

/** Names every id Feishu did not add, with why. */
function outcomeOf(tried: UserRef[], unusable: Unusable[], result: ChatMembersResult): AddOutcome {
  const byId = new Map(tried.map((u) => [u.openId, u.name]));
  const named = (ids: string[], reason: Bilingual) => ids.map((id) => describeUnusable({ openId: id, name: byId.get(id) ?? id, reason }));
  const skipped = new Set([...result.invalidIds, ...result.notExistedIds, ...result.pendingApprovalIds]);
  return {
    added: tried.filter((u) => !skipped.has(u.openId)),
    problems: [
      ...unusable.map(describeUnusable),
      ...named(result.invalidIds, { zh: 'ID 无效或已离职', en: 'invalid id or has left' }),
      ...named(result.notExistedIds, { zh: '不存在或不可见', en: 'does not exist or is not visible' }),
      ...named(result.pendingApprovalIds, { zh: '等待群主审批', en: 'waiting for the owner\'s approval' }),
    ],
  };
}

const noMembersResult: ChatMembersResult = { invalidIds: [], notExistedIds: [], pendingApprovalIds: [] };

function createGroup(ctx: CommandContext, a: z.infer<typeof createArgs>): Promise<void> {
  return answerInTime(ctx, { zh: `正在创建群聊“${a.name}”`, en: `Creating the group chat "${a.name}"` }, () => createdOrFailed(ctx, a));
}

async function createdOrFailed(ctx: CommandContext, a: z.infer<typeof createArgs>): Promise<Card> {
  const owner: UserRef = a.owner ?? { openId: ctx.sender.openId, name: ctx.sender.name ?? ctx.sender.openId };
  const wanted = a.members.filter((m) => m.openId !== owner.openId);
  const { usable, unusable } = await checkUsers(ctx.gateway.directory, [owner, ...wanted]);
  const ownerProblem = unusable.find((u) => u.openId === owner.openId);
  if (ownerProblem) {
    return errorCard({
      title: TITLE_FAILED,
      problems: [{ zh: `群主 ${describeUnusable(ownerProblem)}`, en: `The owner ${ownerProblem.name} ${ownerProblem.reason.en}` }],
      nextStep: { zh: '换一位群主，或去掉 owner= 由你自己当群主。', en: 'Pick another owner, or drop owner= to own the chat yourself.' },
      example: `/group create ${a.name}`,
    });
  }
  const members = usable.filter((u) => u.openId !== owner.openId);
  const [first, rest] = [members.slice(0, CREATE_BATCH), members.slice(CREATE_BATCH)];
  try {
    const chat = await ctx.gateway.chats.create({
      name: a.name,
      description: a.desc,
      ownerId: owner.openId,
      userIds: first.map((u) => u.openId),
      chatType: a.public ? 'public' : 'private',
      groupMessageType: a.thread ? 'thread' : undefined,
    }, { uuid: idempotencyKey(ctx, 'chat.create') });
    const later = rest.length ? await ctx.gateway.chats.addMembers(chat.chatId, rest.map((u) => u.openId)) : noMembersResult;
    const outcome = outcomeOf(members, unusable, later);
    await chats.set(ctx.store, chat.chatId, { name: chat.name, members: [owner, ...outcome.added] });
    await ctx.audit('im.chat.create', chat.chatId, 'ok', `${outcome.added.length} members`);
    return groupCreatedCard(chat.chatId, chat.name, owner, outcome, a);
  } catch (err) {
    // Still unknown after the client's patience (no answer, 5xx, "being created"): the chat may exist. A card now
    // would be a guess and its example a duplicate; the inbox runs the command again (same uuid) until it is known.
    if (err instanceof FeishuError && err.retryable) throw err;
    await ctx.audit('im.chat.create', a.name, 'error', String((err as { code?: unknown }).code ?? 'unknown'));
    return failureCard(TITLE_FAILED, err, `/group create ${a.name}`);
  }
}

function groupCreatedCard(chatId: string, name: string, owner: UserRef, o: AddOutcome, a: z.infer<typeof createArgs>): Card {
  const kind = [a.public ? '公开群 · public' : '私有群 · private', ...(a.thread ? ['话题群 · topic chat'] : [])].join('，');
  return successCard({
    title: { zh: '群聊已创建', en: 'Group chat created' },
    summary: { zh: `群“${name}”已建好，成员已收到邀请。`, en: `The chat "${name}" is ready and its members are in.` },
    fields: [
      { label: { zh: '群名称', en: 'Name' }, value: name },
      { label: { zh: '群 ID', en: 'Chat ID' }, value: chatId },
      { label: { zh: '群主', en: 'Owner' }, value: owner.name },
      { label: { zh: '类型', en: 'Type' }, value: kind },
      { label: { zh: '已添加成员', en: 'Members added' }, value: `${o.added.length}：${o.added.map((u) => u.name).join('、') || '—'}` },
    ],
    ...(o.problems.length ? { list: { label: { zh: '未能添加', en: 'Not added' }, items: o.problems } } : {}),
    actions: [
      addMembersAction.button({ chatId }, { label: { zh: '添加成员', en: 'Add members' } }),
      chatMailgroupAction.button({ chatId }, { label: { zh: '为这个群创建邮件组', en: 'Create a mailgroup for this chat' }, style: 'primary' }),
    ],
  });
}

async function addMembers(ctx: Ctx, a: z.infer<typeof addArgs>): Promise<void> {
  const title: Bilingual = { zh: '添加群成员失败', en: 'Could not add the members' };
  try {
    const { usable, unusable } = await checkUsers(ctx.gateway.directory, a.members);
    const result = usable.length ? await ctx.gateway.chats.addMembers(a.chat, usable.map((u) => u.openId)) : noMembersResult;
    const o = outcomeOf(usable, unusable, result);
    const known = await chats.get(ctx.store, a.chat);
    if (known) {
      const members = [...new Map([...known.members, ...o.added].map((u) => [u.openId, u])).values()];
      await chats.set(ctx.store, a.chat, { ...known, members });
    }
    await ctx.audit('im.chat.members.create', a.chat, 'ok', `${o.added.length} members`);
    await ctx.reply(successCard({
      title: { zh: '成员已添加', en: 'Members added' },
      fields: [
        { label: { zh: '群 ID', en: 'Chat ID' }, value: a.chat },
        { label: { zh: '已添加成员', en: 'Members added' }, value: `${o.added.length}：${o.added.map((u) => u.name).join('、') || '—'}` },
      ],
      ...(o.problems.length ? { list: { label: { zh: '未能添加', en: 'Not added' }, items: o.problems } } : {}),
    }));
  } catch (err) {
    await ctx.reply(failureCard(title, err, `/group add ${a.chat} @成员`));
  }
}

/** The mailgroup address for a chat: its name as an ASCII slug, or the chat id's tail for names without one. */
export function chatSlug(name: string, chatId: string): string {
  const slug = name.normalize('NFKD').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  return slug.length >= 3 ? slug : `chat-${chatId.slice(-8).toLowerCase()}`;
}

export function registerGroup(app: App): void {
  app.command('group create', groupCreateSpec, createGroup);
  app.command('group add', groupAddSpec, addMembers);

  app.action(addMembersAction, async (_ctx, { chatId }) => ({
    card: successCard({
      title: { zh: '添加群成员', en: 'Add members' },
      summary: { zh: '复制下面的命令，@ 要添加的成员后发给我：', en: 'Copy the command below, mention the people to add, and send it to me:' },
      fields: [{ label: { zh: '命令', en: 'Command' }, value: `/group add ${chatId} @成员` }],
      note: { zh: '成员会直接加入，无法添加的会逐个说明原因。', en: 'Members join at once; anyone who cannot be added is listed with the reason.' },
    }),
  }));

  app.action(chatMailgroupAction, async (ctx, { chatId }) => {
    const chat = await chats.get(ctx.store, chatId);
    const mailbox = await ownMailbox(ctx);
    if (!chat || !mailbox) {
      const why: Bilingual = !chat
        ? { zh: '我不记得这个群的成员了（不是我创建的，或记录已过期）。', en: 'I no longer know this chat\'s members (I did not create it, or the record expired).' }
        : { zh: '你没有企业邮箱，无法确定邮件域名。', en: 'You have no organisation mailbox, so the mail domain is unknown.' };
      return {
        card: errorCard({
          title: { zh: '无法创建邮件组', en: 'Cannot create the mail group' }, problems: [why],
          nextStep: { zh: '用命令创建，写明地址和成员。', en: 'Create it with the command, giving the address and members.' },
          example: '/mailgroup create team@your-domain',
        }),
        toast: { type: 'error', text: why },
      };
    }
    const email = `${chatSlug(chat.name, chatId)}@${domainOf(mailbox)}`;
    // Scoped to the chat: a second click (by anyone) answers with the group the first one made.
    const { card, outcome } = await provisionMailgroup(ctx, {
      email, name: chat.name, who: 'members', members: chat.members, description: `群 ${chat.name} 的邮件组 · mail group of chat ${chat.name}`,
    }, `chat:${chatId}`);
    const toasts = {
      failed: { type: 'error', text: MAILGROUP_FAILED },
      busy: { type: 'info', text: { zh: '邮件组正在创建中', en: 'The mail group is already being created' } },
      replayed: { type: 'info', text: { zh: '这个群已经有邮件组了', en: 'This chat already has a mail group' } },
      ran: { type: 'success', text: { zh: '邮件组已创建', en: 'Mail group created' } },
    } as const;
    // A busy click leaves the card as it is: the first click's answer replaces it.
    return outcome === 'busy' ? { toast: toasts.busy } : { card, toast: toasts[outcome] };
  }, { progress: { zh: '正在创建邮件组', en: 'Creating the mail group' } });
}
