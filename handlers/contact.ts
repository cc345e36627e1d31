/**
 * /contact add <name> [email=…] [phone=…] [company=…] [position=…] [tag=…] [remark=…] [mailbox=me|address]
 * Every length rule of Feishu "创建邮箱联系人" is checked before the call. For "me" (the default) a signed-in
 * requester's own token is used with mailbox "me"; otherwise the tenant token, which cannot say "me", so "me"
 * becomes the requester's own address.
 * The API has no idempotency key: `once` records the result per command, so a redelivery answers with the first
 * card; the gateway lists the mailbox's contacts when an attempt went unanswered, and a run resumed after a crash
 * (before its result was recorded) looks there before creating, so neither adds the contact a second time.
 * A mailbox other than the requester's own needs the rule "contact.other-mailbox" (admins unless configured), and a
 * contact whose address the mailbox already holds is reported with the existing one instead of added again.
 */
import { z } from 'zod';
import { errorCard, successCard, type Card } from '../cards/index.js';
import type { App } from '../src/app.js';
import { errorCodeOf } from '../src/feishu/errors.js';
import { msg, type CommandSpec } from '../src/commands/spec.js';
import { t } from '../src/i18n.js';
import { asUser, type MailContact, type MailContactInput, type Principal } from '../src/feishu/ports.js';
import { explainRefusal, permission, refusalCard } from '../src/middleware/authorize.js';
import { claimResumed, once } from '../src/effects/once.js';
import { recover } from '../src/middleware/error-boundary.js';
import { recordChange } from '../src/changes/journal.js';
import { undoButton } from './undo.js';
import { busyCard } from '../src/effects/progress.js';
import { chars, failureCard, ownMailbox, type Ctx } from './provision.js';
import { needsSignIn, signInFor, type MailAuth } from './sign-in.js';

/** Writing into someone else's mailbox: admins only unless app.config.json `commands` names this rule. */
export const OTHER_MAILBOX_RULE = 'contact.other-mailbox';
export const OTHER_MAILBOX_DEFAULT = ['admins'] as const;

const args = z.object({
  name: chars(64, 1).describe(msg('contact.args.name')),
  email: chars(319)
    .pipe(z.email(msg('contact.args.emailFormat')))
    .optional()
    .describe(msg('contact.args.email')),
  phone: chars(40)
    .pipe(z.string().regex(/^\+?[0-9][0-9 -]*[0-9]$/, msg('contact.args.phoneFormat')))
    .optional()
    .describe(msg('contact.args.phone')),
  company: chars(64).optional().describe(msg('contact.args.company')),
  position: chars(64).optional().describe(msg('contact.args.position')),
  tag: chars(64).optional().describe(msg('contact.args.tag')),
  remark: chars(1000).optional().describe(msg('contact.args.remark')),
  mailbox: z
    .union([z.literal('me'), z.email(msg('contact.args.mailboxFormat'))])
    .default('me')
    .describe(msg('contact.args.mailbox')),
});

export const contactAddSpec: CommandSpec<typeof args> = {
  summary: t('contact.summary'),
  usage: '/contact add <name> [email=…] [phone=…] [company=…] [position=…] [tag=…] [remark=…] [mailbox=me|地址]',
  examples: ['/contact add 张三 email=zhangsan@example.com company="张三科技" tag=客户'],
  args,
  positionals: ['name'],
};

const TITLE_FAILED = t('contact.failed');

export type ContactArgs = z.infer<typeof args>;

export const NO_OWN_MAILBOX = t('contact.noOwnMailbox');

/** What Feishu is sent for a contact: the command's fields as the API names them (also /bulk contacts, per row). */
export const contactInput = (a: ContactArgs): MailContactInput => ({
  name: a.name,
  mailAddress: a.email,
  phone: a.phone,
  company: a.company,
  position: a.position,
  tag: a.tag,
  remark: a.remark,
});

/** Whether the rule lets the requester write into another person's mailbox. */
const otherMailboxVerdict = (ctx: Ctx) =>
  permission(ctx.config.app, { kind: 'action', key: OTHER_MAILBOX_RULE }, ctx.sender.openId, OTHER_MAILBOX_DEFAULT);

async function addContact(ctx: Ctx, a: z.infer<typeof args>, auth?: MailAuth): Promise<Card> {
  const own = await ownMailbox(ctx);
  const target = a.mailbox === 'me' ? own : a.mailbox;
  if (target && target.toLowerCase() !== own?.toLowerCase()) {
    const verdict = otherMailboxVerdict(ctx);
    if (!verdict.ok) {
      await ctx.audit('mail.contact.create', target, 'refused', "another person's mailbox");
      const refusal = await explainRefusal(
        ctx.config.app,
        ctx.gateway.directory,
        t('contact.otherMailbox'),
        verdict.allow,
        { openId: ctx.sender.openId, rule: verdict.rule },
      );
      return refusalCard(refusal);
    }
  }
  // Signed in: the user's own token and mailbox "me"; otherwise the tenant token on their address.
  const asSelf = a.mailbox === 'me' && auth !== undefined && (await auth.status(ctx.sender.openId)).signedIn;
  const mailbox = asSelf ? 'me' : target;
  const as: Principal | undefined = asSelf ? asUser(ctx.sender.openId) : undefined;
  if (!mailbox) {
    return errorCard({
      title: TITLE_FAILED,
      problems: [NO_OWN_MAILBOX],
      nextStep: t('contact.nameMailbox'),
      example: `/contact add ${a.name} mailbox=someone@your-domain`,
    });
  }
  const resumed = claimResumed.get(ctx);
  // A resumed run may find the contact its dead predecessor made: that one the gateway adopts instead.
  const existing = a.email && !resumed ? await findByAddress(ctx, mailbox, a.email, as) : undefined;
  if (existing) return existingContactCard(mailbox, existing);
  const { contactId } = await ctx.gateway.mailbox.createContact(mailbox, contactInput(a), {
    mayExist: resumed,
    ...(as ? { as } : {}),
  });
  await ctx.audit('mail.contact.create', mailbox, 'ok', contactId);
  const change = await recordChange(ctx, {
    kind: 'mail.contact.create',
    rule: 'contact add',
    title: t('contact.changeAdded', { name: a.name, mailbox: target ?? mailbox }),
    inverse: [
      { op: 'contact.delete', mailbox, contactId, name: a.name, ...(asSelf ? { asUser: ctx.sender.openId } : {}) },
    ],
  });
  return successCard({
    title: t('contact.added'),
    summary: t('contact.addedSummary', { mailbox }),
    fields: [
      { label: t('contact.field.name'), value: a.name },
      ...contactFields({ ...a, mailAddress: a.email }),
      { label: t('contact.field.mailbox'), value: mailbox },
      { label: t('contact.field.id'), value: contactId },
    ],
    actions: undoButton(change),
  });
}

/** A Feishu failure as the command's own card; a lapsed sign-in as the sign-in card that resumes it. */
async function contactFailed(ctx: Ctx, a: z.infer<typeof args>, err: unknown, auth?: MailAuth): Promise<Card> {
  await ctx.audit('mail.contact.create', a.mailbox, 'error', errorCodeOf(err));
  if (auth && needsSignIn(err)) return signInFor(ctx, auth, a, err);
  return failureCard(TITLE_FAILED, err, a.mailbox === 'me' ? undefined : `/contact add ${a.name} mailbox=me`);
}

export async function findByAddress(
  ctx: Ctx,
  mailbox: string,
  address: string,
  as?: Principal,
): Promise<MailContact | undefined> {
  const contacts = await ctx.gateway.mailbox.listContacts(mailbox, as ? { as } : {});
  return contacts.find((c) => c.mailAddress?.toLowerCase() === address.toLowerCase());
}

/** A contact's fields that have a value, as card rows. */
const CONTACT_FIELDS = ['mailAddress', 'phone', 'company', 'position', 'tag', 'remark'] as const;
const contactFields = (c: Partial<Record<(typeof CONTACT_FIELDS)[number], string>>) =>
  CONTACT_FIELDS.flatMap((key) => {
    const value = c[key];
    return value ? [{ label: t(`contact.field.${key}`), value }] : [];
  });

function existingContactCard(mailbox: string, c: MailContact): Card {
  return successCard({
    title: t('contact.exists'),
    tone: 'info',
    summary: t('contact.existsSummary', { mailbox, address: c.mailAddress ?? '' }),
    fields: [
      { label: t('contact.field.name'), value: c.name },
      ...contactFields(c),
      { label: t('contact.field.id'), value: c.id },
    ],
  });
}

export function registerContact(app: App, auth?: MailAuth): void {
  app.declareRule(OTHER_MAILBOX_RULE);
  const busy = () => busyCard(t('contact.adding'));
  // Another person's mailbox, when the rule allows it, may still need an approval (commands.<rule>.approve): asked
  // for before the run claims its effect.
  const otherMailbox = app.approvalFor<z.infer<typeof args>>(OTHER_MAILBOX_RULE, async (ctx, a) => {
    if (a.mailbox === 'me') return false;
    const own = await ownMailbox(ctx);
    return a.mailbox.toLowerCase() !== own?.toLowerCase() && otherMailboxVerdict(ctx).ok;
  });
  app.command(
    'contact add',
    contactAddSpec,
    recover((ctx, a, err) => contactFailed(ctx, a, err, auth)),
    otherMailbox,
    once('contact', { busy }),
    (ctx, a) => addContact(ctx, a, auth),
  );
}
