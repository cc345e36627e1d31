/**
 * The buttons of a chat's success card: each posts a form card of its own and leaves the record of the chat as it is.
 * "Add members" (a person picker; submitting it runs what /group add runs) and "Create a mailgroup for this chat"
 * (address <slug of the name>@<the clicker's mail domain>, name and sender policy pre-filled; created on submit).
 * They obey the rules of /group add and /mailgroup create.
 */
import { z } from 'zod';
import { formCard, type Bilingual } from '../cards/index.js';
import { defineAction } from '../src/actions.js';
import type { App } from '../src/app.js';
import { displayName } from '../src/feishu/directory-cache.js';
import { addToChat, chats, mayUseChat, namesOf } from './group-members.js';
import { BUTTON_WHO, MAILGROUP_FAILED, provisionMailgroup, WHO_TEXT, whoChoices } from './mailgroup.js';
import { domainOf, ownMailbox } from './provision.js';

/**
 * What the buttons of a created chat need later; kept per chat so the buttons carry only the chat id. Kept for
 * 30 days: a click after that is told the record expired and shown the command instead.
 */
const chatAction = z.object({
  chatId: z.string().regex(/^oc_[A-Za-z0-9]+$/, '按钮缺少群 ID / the button lacks a chat id'),
});
/** "Add members" on the success card: posts a person-picker form for the chat. */
export const addMembersAction = defineAction('group.add-members', chatAction, {
  follows: 'group add',
  opensForm: true,
});
/** The picker form's submit: `members` are the picked open_ids. */
export const addMembersSubmit = defineAction(
  'group.add-members-submit',
  chatAction.extend({
    members: z.array(z.string().regex(/^ou_[A-Za-z0-9]+$/)).min(1, '至少选择一位成员 / pick at least one person'),
  }),
  { follows: 'group add', form: ['members'], progress: { zh: '正在添加成员', en: 'Adding the members' } },
);
/** "Create a mailgroup for this chat" on the success card: posts the pre-filled form. */
export const chatMailgroupAction = defineAction('group.mailgroup', chatAction, {
  follows: 'mailgroup create',
  opensForm: true,
});
/** The mailgroup form's submit. */
export const chatMailgroupSubmit = defineAction(
  'group.mailgroup-submit',
  chatAction.extend({
    email: z.email('邮件组地址应形如 team@你的企业域名 / the address must look like team@your-domain'),
    name: z.string().trim().min(1, '请填写名称 / give it a name').max(100),
    who: z.enum(whoChoices, `只能是 ${whoChoices.join('、')} / must be one of ${whoChoices.join(', ')}`),
  }),
  {
    follows: 'mailgroup create',
    form: ['email', 'name', 'who'],
    progress: { zh: '正在创建邮件组', en: 'Creating the mail group' },
  },
);

/** The mailgroup address for a chat: its name as an ASCII slug, or the chat id's tail for names without one. */
export function chatSlug(name: string, chatId: string): string {
  const slug = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return slug.length >= 3 ? slug : `chat-${chatId.slice(-8).toLowerCase()}`;
}

export function registerGroupButtons(app: App): void {
  // The buttons post a form card of their own: the card recording the created chat stays as it is.
  app.action(addMembersAction, async (ctx, { chatId }) => {
    await ctx.send(
      formCard({
        title: { zh: '添加群成员', en: 'Add members' },
        summary: { zh: '选择要加入这个群的人，然后提交。', en: 'Pick the people to add to this chat, then submit.' },
        fields: [{ kind: 'people', name: 'members', label: { zh: '成员', en: 'Members' }, required: true }],
        submit: addMembersSubmit.button({ chatId }, { label: { zh: '添加', en: 'Add' }, style: 'primary' }),
        note: { zh: `群 ID：${chatId}`, en: `Chat ID: ${chatId}` },
      }),
    );
    return { toast: { type: 'info', text: { zh: '请在新卡片里选择成员', en: 'Pick the members on the new card' } } };
  });

  app.action(addMembersSubmit, async (ctx, { chatId, members }) => {
    const named = await Promise.all(
      members.map(async (openId) => ({ openId, name: await displayName(ctx.gateway.directory, openId) })),
    );
    return { card: await addToChat(ctx, chatId, named) };
  });

  app.action(chatMailgroupAction, async (ctx, { chatId }) => {
    const refused = await mayUseChat(ctx, chatId);
    if (refused) return refused;
    const chat = await chats.get(ctx.store, chatId);
    const mailbox = await ownMailbox(ctx);
    if (!chat || !mailbox) {
      const why: Bilingual = !chat
        ? {
            zh: '我不记得这个群的成员了（不是我创建的，或记录已过期）。用 /mailgroup create 创建。',
            en: "I no longer know this chat's members (I did not create it, or the record expired). Use /mailgroup create.",
          }
        : {
            zh: '你没有企业邮箱，无法确定邮件域名。用 /mailgroup create 写明地址。',
            en: 'You have no organisation mailbox, so the mail domain is unknown. Use /mailgroup create with an address.',
          };
      return { toast: { type: 'error', text: why } };
    }
    await ctx.send(
      formCard({
        title: { zh: '为这个群创建邮件组', en: 'Create a mail group for this chat' },
        summary: {
          zh: `确认下面的设置后提交；提交前不会创建任何东西。成员：${namesOf(chat.members)}。`,
          en: `Check the settings below and submit; nothing is created until you do. Members: ${namesOf(chat.members)}.`,
        },
        fields: [
          {
            kind: 'input',
            name: 'email',
            label: { zh: '邮件组地址', en: 'Address' },
            value: `${chatSlug(chat.name, chatId)}@${domainOf(mailbox)}`,
            required: true,
          },
          {
            kind: 'input',
            name: 'name',
            label: { zh: '名称', en: 'Name' },
            value: chat.name,
            required: true,
            maxLength: 100,
          },
          {
            kind: 'select',
            name: 'who',
            label: { zh: '谁可以发信', en: 'Who can send' },
            value: BUTTON_WHO,
            options: whoChoices.map((w) => ({ value: w, label: WHO_TEXT[w] })),
          },
        ],
        submit: chatMailgroupSubmit.button(
          { chatId },
          { label: { zh: '创建邮件组', en: 'Create the mail group' }, style: 'primary' },
        ),
      }),
    );
    return { toast: { type: 'info', text: { zh: '请确认新卡片上的设置', en: 'Check the settings on the new card' } } };
  });

  app.action(chatMailgroupSubmit, async (ctx, { chatId, email, name, who }) => {
    // Checked again: the form may be submitted by someone other than who opened it, or after they left the chat.
    const refused = await mayUseChat(ctx, chatId);
    if (refused) return refused;
    const chat = await chats.get(ctx.store, chatId);
    if (!chat) {
      return {
        toast: {
          type: 'error',
          text: {
            zh: '这个群的记录已过期，请用 /mailgroup create 创建',
            en: "This chat's record expired: use /mailgroup create",
          },
        },
      };
    }
    // Scoped to the chat: a second submit (by anyone, from any copy of the form) answers with the group the first made.
    const { card, outcome } = await provisionMailgroup(
      ctx,
      {
        email,
        name,
        who,
        members: chat.members,
        description: `群 ${chat.name} 的邮件组 · mail group of chat ${chat.name}`,
      },
      `chat:${chatId}`,
    );
    const toasts = {
      failed: { type: 'error', text: MAILGROUP_FAILED },
      busy: { type: 'info', text: { zh: '邮件组正在创建中', en: 'The mail group is already being created' } },
      replayed: { type: 'info', text: { zh: '这个群已经有邮件组了', en: 'This chat already has a mail group' } },
      ran: { type: 'success', text: { zh: '邮件组已创建', en: 'Mail group created' } },
    } as const;
    // A busy click leaves the card as it is: the first click's answer replaces it.
    return outcome === 'busy' ? { toast: toasts.busy } : { card, toast: toasts[outcome] };
  });
}
