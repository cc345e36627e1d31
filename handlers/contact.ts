/**
 * /contact add <name> [email=…] [phone=…] [company=…] [position=…] [tag=…] [remark=…] [mailbox=me|address]
 * Every length rule of mail-contact-create.md is checked before the call. For "me" (the default) a signed-in
 * requester's own token is used with mailbox "me"; otherwise the tenant token, which cannot say "me", so "me"
 * becomes the requester's own address.
 * The API has no idempotency key: `once` records the result per command, so a redelivery answers with the first
 * card; the gateway lists the mailbox's contacts when an attempt went unanswered, and a run resumed after a crash
 * (before its result was recorded) looks there before creating, so neither adds the contact a second time.
 */
import { z } from 'zod';
import { errorCard, successCard } from '../cards/index.js';
import type { App } from '../src/app.js';
import type { CommandSpec } from '../src/commands/spec.js';
import { asUser } from '../src/feishu/ports.js';
import { busyCard, chars, failureCard, once, ownMailbox, type Ctx } from './provision.js';
import { needsSignIn, signInFor, type MailAuth } from './sign-in.js';

const args = z.object({
  name: chars(64, 1).describe('联系人姓名 / contact name'),
  email: chars(319).pipe(z.email('应为邮箱地址，如 zhangsan@example.com / must be an address such as zhangsan@example.com'))
    .optional().describe('联系人邮箱 / contact address'),
  phone: chars(40).optional().describe('手机号 / phone'),
  company: chars(64).optional().describe('公司 / company'),
  position: chars(64).optional().describe('职位 / position'),
  tag: chars(64).optional().describe('标签 / tag'),
  remark: chars(1000).optional().describe('备注 / remark'),
  mailbox: z.union([z.literal('me'), z.email('应为 me 或邮箱地址 / must be "me" or a mailbox address')]).default('me')
    .describe('存到谁的邮箱（默认你自己的） / whose mailbox gets it (default: yours)'),
});

export const contactAddSpec: CommandSpec<typeof args> = {
  summary: { zh: '在邮箱里添加联系人', en: 'Add a contact to a mailbox' },
  usage: '/contact add <name> [email=…] [phone=…] [company=…] [position=…] [tag=…] [remark=…] [mailbox=me|地址]',
  examples: ['/contact add 张三 email=zhangsan@example.com company="张三科技" tag=客户'],
  args,
  positionals: ['name'],
};

const TITLE_FAILED = { zh: '联系人添加失败', en: 'Could not add the contact' };

async function addContact(ctx: Ctx, a: z.infer<typeof args>, auth?: MailAuth): Promise<void> {
  const asSelf = a.mailbox === 'me' && auth !== undefined && (await auth.status(ctx.sender.openId)).signedIn;
  const mailbox = asSelf ? 'me' : a.mailbox === 'me' ? await ownMailbox(ctx) : a.mailbox;
  if (!mailbox) {
    await ctx.reply(errorCard({
      title: TITLE_FAILED,
      problems: [{ zh: '你没有企业邮箱，无法默认存到你的邮箱。', en: 'You have no organisation mailbox to store the contact in.' }],
      nextStep: { zh: '用 mailbox= 指定一个邮箱地址。', en: 'Name a mailbox with mailbox=.' },
      example: `/contact add ${a.name} mailbox=someone@your-domain`,
    }));
    return;
  }
  try {
    const done = await once(ctx, 'contact', async (resumed) => {
      const { contactId } = await ctx.gateway.mailbox.createContact(mailbox, {
        name: a.name, mailAddress: a.email, phone: a.phone, company: a.company, position: a.position, tag: a.tag, remark: a.remark,
      }, { mayExist: resumed, ...(asSelf ? { as: asUser(ctx.sender.openId) } : {}) });
      await ctx.audit('mail.contact.create', mailbox, 'ok', contactId);
      const optional = [
        ['邮箱', 'Email', a.email], ['电话', 'Phone', a.phone], ['公司', 'Company', a.company],
        ['职位', 'Position', a.position], ['标签', 'Tag', a.tag], ['备注', 'Remark', a.remark],
      ] as const;
      return successCard({
        title: { zh: '联系人已添加', en: 'Contact added' },
        summary: { zh: `已存入邮箱 ${mailbox} 的联系人。`, en: `Saved to the contacts of mailbox ${mailbox}.` },
        fields: [
          { label: { zh: '姓名', en: 'Name' }, value: a.name },
          ...optional.flatMap(([zh, en, value]) => (value ? [{ label: { zh, en }, value }] : [])),
          { label: { zh: '邮箱账户', en: 'Mailbox' }, value: mailbox },
          { label: { zh: '联系人 ID', en: 'Contact ID' }, value: contactId },
        ],
      });
    });
    await ctx.reply(done.outcome === 'busy' ? busyCard({ zh: '正在添加联系人', en: 'Adding the contact' }) : done.card);
  } catch (err) {
    await ctx.audit('mail.contact.create', mailbox, 'error', String((err as { code?: unknown }).code ?? 'unknown'));
    if (auth && needsSignIn(err)) return void await ctx.reply(await signInFor(ctx, auth, ctx.text, err));
    await ctx.reply(failureCard(TITLE_FAILED, err, a.mailbox === 'me' ? undefined : `/contact add ${a.name} mailbox=me`));
  }
}

export function registerContact(app: App, auth?: MailAuth): void {
  app.command('contact add', contactAddSpec, (ctx, a) => addContact(ctx, a, auth));
}
