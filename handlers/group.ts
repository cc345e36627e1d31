/**
 * /group create <name> [@members…] [desc="…"] [owner=@user] [--public] [--thread], /group add [<chat_id>] @members…,
 * and the buttons of the success card, which post a form card of their own and leave the record of the chat as it is:
 * "Add members" (a person picker; submitting it runs what /group add runs) and "Create a mailgroup for this chat"
 * (address <slug of the name>@<the clicker's mail domain>, name and sender policy pre-filled; created on submit).
 * The buttons obey the rules of /group add and /mailgroup create. Adding members needs the chat's owner or a manager
 * (as Feishu says, not our records) or an admin; a mail group of the chat needs one of those or a member of it.
 * The chat uuid is derived from the command's message, so a redelivered or resumed command gets the same chat.
 */
import { z } from 'zod';
import { errorCard, successCard, type Card, type CardButton } from '../cards/index.js';
import type { App } from '../src/app.js';
import { msg, type CommandSpec } from '../src/commands/spec.js';
import type { CommandContext } from '../src/context.js';
import { errorCodeOf, FeishuError } from '../src/feishu/errors.js';
import { displayName } from '../src/feishu/directory-cache.js';
import { t } from '../src/i18n.js';
import { addMembersAction, chatMailgroupAction, registerGroupButtons } from './group-buttons.js';
import { addToChat, chats, namesOf, noMembersResult, outcomeOf, type AddOutcome } from './group-members.js';
import { chars, checkUsers, failureCard, userRef, type Ctx, type UserRef } from './provision.js';
import { idempotencyKey } from '../src/effects/once.js';
import { progressAfter } from '../src/effects/progress.js';
import { recordChange } from '../src/changes/journal.js';
import { undoButton } from './undo.js';

/** Users per chat-create call (Feishu "创建群": at most 50); the rest are added in batches. */
const CREATE_BATCH = 50;

const createArgs = z.object({
  name: chars(60, 1).describe(msg('group.args.name')),
  members: z.array(userRef).default([]).describe(msg('group.args.members')),
  desc: chars(100).optional().describe(msg('group.args.desc')),
  owner: userRef.optional().describe(msg('group.args.owner')),
  public: z.boolean().default(false).describe(msg('group.args.public')),
  thread: z.boolean().default(false).describe(msg('group.args.thread')),
});

export const groupCreateSpec: CommandSpec<typeof createArgs> = {
  summary: t('group.createSummary'),
  usage: '/group create <name> [@成员…] [desc="…"] [owner=@用户] [--public] [--thread]',
  examples: ['/group create 运维值班', '/group create "Ops On-call" desc="值班沟通" --public --thread'],
  args: createArgs,
  positionals: ['name'],
  mentions: 'members',
};

const chatId = z.string().regex(/^oc_[A-Za-z0-9]+$/, msg('group.args.chatId'));
const addArgs = z.object({
  chat: chatId.optional().describe(msg('group.args.chat')),
  members: z.array(userRef).min(1, msg('group.args.mentionOne')).describe(msg('group.args.membersToAdd')),
});

export const groupAddSpec: CommandSpec<typeof addArgs> = {
  summary: t('group.addSummary'),
  usage: '/group add [群 ID chat_id] @成员…',
  // Examples must run as written and this one needs @mentions, which typed text cannot carry.
  examples: [],
  args: addArgs,
  positionals: ['chat'],
  mentions: 'members',
};

const TITLE_FAILED = t('group.createFailed');

async function createGroup(ctx: CommandContext, a: z.infer<typeof createArgs>): Promise<Card> {
  const owner: UserRef = a.owner ?? {
    openId: ctx.sender.openId,
    name: ctx.sender.name ?? (await displayName(ctx.gateway.directory, ctx.sender.openId)),
  };
  const wanted = a.members.filter((m) => m.openId !== owner.openId);
  const { usable, unusable } = await checkUsers(ctx.gateway.directory, [owner, ...wanted]);
  const ownerProblem = unusable.find((u) => u.openId === owner.openId);
  if (ownerProblem) {
    return errorCard({
      title: TITLE_FAILED,
      problems: [t('group.ownerUnusable', { name: ownerProblem.name, reason: ownerProblem.reason })],
      nextStep: t('group.ownerNextStep'),
      example: `/group create ${a.name}`,
    });
  }
  const members = usable.filter((u) => u.openId !== owner.openId);
  const [first, rest] = [members.slice(0, CREATE_BATCH), members.slice(CREATE_BATCH)];
  try {
    const chat = await ctx.gateway.chats.create(
      {
        name: a.name,
        description: a.desc,
        ownerId: owner.openId,
        userIds: first.map((u) => u.openId),
        chatType: a.public ? 'public' : 'private',
        groupMessageType: a.thread ? 'thread' : undefined,
      },
      { uuid: idempotencyKey(ctx, 'chat.create') },
    );
    const later = rest.length
      ? await ctx.gateway.chats.addMembers(
          chat.chatId,
          rest.map((u) => u.openId),
        )
      : noMembersResult;
    const outcome = outcomeOf(members, unusable, later);
    await chats.set(ctx.store, chat.chatId, { name: chat.name, members: [owner, ...outcome.added] });
    await ctx.audit('im.chat.create', chat.chatId, 'ok', `${outcome.added.length} members`);
    const change = await recordChange(ctx, {
      kind: 'im.chat.create',
      rule: 'group create',
      title: t('group.changeCreated', { name: chat.name }),
      inverse: [{ op: 'chat.dissolve', chatId: chat.chatId, name: chat.name }],
    });
    return groupCreatedCard(chat.chatId, chat.name, owner, outcome, a, undoButton(change));
  } catch (err) {
    // Still unknown after the client's patience (no answer, 5xx, "being created"): the chat may exist. A card now
    // would be a guess and its example a duplicate; the inbox runs the command again (same uuid) until it is known.
    if (err instanceof FeishuError && err.retryable) throw err;
    await ctx.audit('im.chat.create', a.name, 'error', errorCodeOf(err));
    return failureCard(TITLE_FAILED, err, `/group create ${a.name}`);
  }
}

function groupCreatedCard(
  chatId: string,
  name: string,
  owner: UserRef,
  o: AddOutcome,
  a: z.infer<typeof createArgs>,
  undo: CardButton[],
): Card {
  const type = t(a.public ? 'group.type.public' : 'group.type.private');
  const asked = o.added.length + o.problems.length;
  const summary = o.problems.length
    ? t('group.readyPartly', { name, added: o.added.length, asked })
    : t(o.added.length ? 'group.readyAll' : 'group.readyOwnerOnly', { name });
  return successCard({
    title: t(o.problems.length ? 'group.createdPartly' : 'group.created'),
    tone: o.problems.length ? 'partial' : 'done',
    summary,
    fields: [
      { label: t('group.field.name'), value: name },
      { label: t('group.field.chatId'), value: chatId },
      { label: t('group.field.owner'), value: owner.name },
      { label: t('group.field.type'), value: a.thread ? t('group.type.topic', { type }) : type },
      ...(o.added.length
        ? [{ label: t('group.field.membersAdded'), value: `${o.added.length}：${namesOf(o.added)}` }]
        : []),
    ],
    ...(o.problems.length ? { list: { label: t('group.field.notAdded'), items: o.problems } } : {}),
    actions: [
      addMembersAction.button({ chatId }, { label: t('group.button.addMembers') }),
      chatMailgroupAction.button({ chatId }, { label: t('group.button.mailgroup'), style: 'primary' }),
      ...undo,
    ],
  });
}

async function addMembers(ctx: Ctx, a: z.infer<typeof addArgs>): Promise<Card> {
  // Inside a group chat the chat defaults to that one (the 232006 card tells people to run it there).
  const chat = a.chat ?? (ctx.chatType === 'group' ? ctx.chatId : undefined);
  if (!chat) {
    return errorCard({
      title: t('group.whichChat.title'),
      problems: [t('group.whichChat.problem')],
      nextStep: t('group.whichChat.nextStep'),
      example: '/group add oc_1a2b3c @成员',
    });
  }
  return addToChat(ctx, chat, a.members);
}
export function registerGroup(app: App): void {
  app.command(
    'group create',
    groupCreateSpec,
    progressAfter((a) => t('group.creating', { name: a.name })),
    createGroup,
  );
  app.command('group add', groupAddSpec, addMembers);
  registerGroupButtons(app);
}
