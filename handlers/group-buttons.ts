/**
 * The buttons of a chat's success card: each posts a form card of its own and leaves the record of the chat as it is.
 * "Add members" (a person picker; submitting it runs what /group add runs) and "Create a mailgroup for this chat"
 * (address <slug of the name>@<the clicker's mail domain>, name and sender policy pre-filled; created on submit).
 * They obey the rules of /group add and /mailgroup create.
 */
import { z } from 'zod';
import { formCard } from '../cards/index.js';
import { defineAction } from '../src/actions.js';
import type { App } from '../src/app.js';
import { msg } from '../src/commands/spec.js';
import { displayName } from '../src/feishu/directory-cache.js';
import { pick, t } from '../src/i18n.js';
import { addToChat, chats, mayUseChat, namesOf } from './group-members.js';
import { BUTTON_WHO, MAILGROUP_FAILED, provisionMailgroup, WHO_TEXT, whoChoices } from './mailgroup.js';
import { domainOf, ownMailbox } from './provision.js';

/**
 * What the buttons of a created chat need later; kept per chat so the buttons carry only the chat id. Kept for
 * 30 days: a click after that is told the record expired and shown the command instead.
 */
const chatAction = z.object({
  chatId: z.string().regex(/^oc_[A-Za-z0-9]+$/, msg('group.args.buttonChatId')),
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
    members: z.array(z.string().regex(/^ou_[A-Za-z0-9]+$/)).min(1, msg('group.args.pickOne')),
  }),
  { follows: 'group add', form: ['members'], progress: t('group.adding') },
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
    email: z.email(msg('group.args.formAddress')),
    name: z.string().trim().min(1, msg('group.args.formName')).max(100),
    who: z.enum(whoChoices, msg('mailgroup.args.whoOneOf')),
  }),
  { follows: 'mailgroup create', form: ['email', 'name', 'who'], progress: t('mailgroup.creating') },
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
        title: t('group.addForm.title'),
        summary: t('group.addForm.summary'),
        fields: [{ kind: 'people', name: 'members', label: t('group.addForm.members'), required: true }],
        submit: addMembersSubmit.button({ chatId }, { label: t('group.addForm.submit'), style: 'primary' }),
        note: t('group.addForm.note', { chatId }),
      }),
    );
    return { toast: { type: 'info', text: t('group.addForm.toast') } };
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
      const why = t(!chat ? 'group.mailgroupForm.unknownChat' : 'group.mailgroupForm.noMailbox');
      return { toast: { type: 'error', text: why } };
    }
    await ctx.send(
      formCard({
        title: t('group.mailgroupForm.title'),
        summary: t('group.mailgroupForm.summary', { members: namesOf(chat.members) }),
        fields: [
          {
            kind: 'input',
            name: 'email',
            label: t('group.mailgroupForm.address'),
            value: `${chatSlug(chat.name, chatId)}@${domainOf(mailbox)}`,
            required: true,
          },
          {
            kind: 'input',
            name: 'name',
            label: t('group.field.name'),
            value: chat.name,
            required: true,
            maxLength: 100,
          },
          {
            kind: 'select',
            name: 'who',
            label: t('mailgroup.field.who'),
            value: BUTTON_WHO,
            options: whoChoices.map((w) => ({ value: w, label: WHO_TEXT[w] })),
          },
        ],
        submit: chatMailgroupSubmit.button({ chatId }, { label: t('group.mailgroupForm.submit'), style: 'primary' }),
      }),
    );
    return { toast: { type: 'info', text: t('group.mailgroupForm.toast') } };
  });

  app.action(chatMailgroupSubmit, async (ctx, { chatId, email, name, who }) => {
    // Checked again: the form may be submitted by someone other than who opened it, or after they left the chat.
    const refused = await mayUseChat(ctx, chatId);
    if (refused) return refused;
    const chat = await chats.get(ctx.store, chatId);
    if (!chat) {
      return { toast: { type: 'error', text: t('group.mailgroupForm.expired') } };
    }
    // Scoped to the chat: a second submit (by anyone, from any copy of the form) answers with the group the first made.
    const { card, outcome } = await provisionMailgroup(
      ctx,
      {
        email,
        name,
        who,
        members: chat.members,
        // Feishu keeps one description: the default language's.
        description: pick(t('group.mailgroupForm.description', { name: chat.name })),
      },
      `chat:${chatId}`,
    );
    const toasts = {
      failed: { type: 'error', text: MAILGROUP_FAILED },
      busy: { type: 'info', text: t('group.mailgroupForm.busy') },
      replayed: { type: 'info', text: t('group.mailgroupForm.replayed') },
      ran: { type: 'success', text: t('mailgroup.created') },
    } as const;
    // A busy click leaves the card as it is: the first click's answer replaces it.
    return outcome === 'busy' ? { toast: toasts.busy } : { card, toast: toasts[outcome] };
  });
}
