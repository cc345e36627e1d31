/**
 * /mailgroup create <email> [name="…"] [desc="…"] [who=anyone|internal|members|custom] [@members…]
 * Creates the mail group, then its members with batch_create (≤ 200 per call, the gateway chunks).
 * The mailgroup API has no idempotency key: `once` records the result per command, and the gateway looks the group
 * up by address when an attempt went unanswered. A run resumed after a crash (the "started" mark without a result)
 * asks the gateway to look before creating, so it adopts the group the dead run made instead of meeting 1234006.
 */
import { z } from 'zod';
import { successCard, type Card, type CardButton } from '../cards/index.js';

import type { App } from '../src/app.js';
import { msg, type CommandSpec } from '../src/commands/spec.js';
import { FeishuError, isAddressTaken, isUnknownMailDomain } from '../src/feishu/errors.js';
import type { CreateMailgroupInput } from '../src/feishu/ports.js';
import { t, type Text } from '../src/i18n.js';
import {
  checkUsers,
  describeUnusable,
  domainOf,
  failureCard,
  ownMailbox,
  userRef,
  type Ctx,
  type Unusable,
  type UserRef,
} from './provision.js';
import { runOnce } from '../src/effects/once.js';
import { recordChange } from '../src/changes/journal.js';
import { undoButton } from './undo.js';
import { busyCard } from '../src/effects/progress.js';

export const WHO = {
  anyone: 'ANYONE',
  internal: 'ALL_INTERNAL_USERS',
  members: 'ALL_GROUP_MEMBERS',
  custom: 'CUSTOM_MEMBERS',
} as const;
export type Who = keyof typeof WHO;

export const WHO_TEXT: Record<Who, Text> = {
  anyone: t('mailgroup.who.anyone'),
  internal: t('mailgroup.who.internal'),
  members: t('mailgroup.who.members'),
  custom: t('mailgroup.who.custom'),
};

const whoValues = Object.keys(WHO) as Who[];
/**
 * What a user may pick: custom needs a list of allowed senders, which the bot cannot set (yet). The catalog's
 * mailgroup.args.whoOneOf and mailgroup.args.custom name these.
 */
export const whoChoices = ['anyone', 'internal', 'members'] as const satisfies readonly Who[];
/** The command's default is Feishu's (anyone); the chat's form proposes members, since it is the chat's group. */
export const COMMAND_WHO: Who = 'anyone';
export const BUTTON_WHO: Who = 'members';

const args = z.object({
  email: z.email(msg('mailgroup.args.emailFormat')).describe(msg('mailgroup.args.email')),
  name: z.string().min(1).max(100).optional().describe(msg('mailgroup.args.name')),
  desc: z.string().max(500).optional().describe(msg('mailgroup.args.desc')),
  who: z
    .enum(whoValues, msg('mailgroup.args.whoOneOf'))
    .refine((w) => w !== 'custom', { message: msg('mailgroup.args.custom') })
    .default(COMMAND_WHO)
    .describe(msg('mailgroup.args.who')),
  members: z.array(userRef).default([]).describe(msg('mailgroup.args.members')),
});

export const mailgroupCreateSpec: CommandSpec<typeof args> = {
  summary: t('mailgroup.summary'),
  usage: '/mailgroup create <email> [name="…"] [desc="…"] [who=anyone|internal|members] [@成员…]',
  examples: ['/mailgroup create ops-team@feishu-ops.example name="运维组" who=internal'],
  args,
  positionals: ['email'],
  mentions: 'members',
};

export interface MailgroupRequest {
  email: string;
  name?: string;
  description?: string;
  who?: Who;
  members: readonly UserRef[];
}

export const MAILGROUP_FAILED = t('mailgroup.failed');

/** Another address to try: team@d → team-2@d, team-2@d → team-3@d. */
export function nextAddress(email: string): string {
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at);
  const n = /-(\d+)$/.exec(local);
  const base = n ? local.slice(0, n.index) : local;
  return `${base}-${n ? Number(n[1]) + 1 : 2}${email.slice(at)}`;
}

/** The suggested command after an address problem; `domain` is the tenant's mail domain when known. */
function retryExample(req: MailgroupRequest, err: FeishuError, domain: string | undefined): string | undefined {
  const local = req.email.slice(0, req.email.lastIndexOf('@'));
  if (isAddressTaken(err)) return `/mailgroup create ${nextAddress(req.email)}`;
  if (isUnknownMailDomain(err) && domain) return `/mailgroup create ${local}@${domain}`;
  return undefined;
}

/**
 * Creates the group and its members (once per `scope`), answering with the card to show. Shared by the command and
 * the "create a mailgroup for this chat" button of /group create.
 */
export async function provisionMailgroup(
  ctx: Ctx,
  req: MailgroupRequest,
  scope?: string,
): Promise<{ card: Card; outcome: 'ran' | 'replayed' | 'busy' | 'failed' }> {
  const input: CreateMailgroupInput = {
    email: req.email,
    name: req.name,
    description: req.description,
    whoCanSendMail: req.who ? WHO[req.who] : undefined,
  };
  try {
    const done = await runOnce(
      ctx,
      'mailgroup',
      async (resumed) => {
        const { usable, unusable } = await checkUsers(ctx.gateway.directory, req.members);
        const { mailgroupId, email, adopted } = await ctx.gateway.mailgroups.create(input, { mayExist: resumed });
        // Adopted without a crash: this run's own unanswered create, not an earlier run's.
        const reused = resumed && adopted;
        // The group exists from here on: a member failure is reported on the success card, not as a failed command.
        let memberFailure: Text | undefined;
        if (usable.length) {
          try {
            // Resumed after a crash past batch_create: the members may be in already, which the gateway checks.
            await ctx.gateway.mailgroups.addMembers(
              mailgroupId,
              usable.map((u) => ({ type: 'USER' as const, userId: u.openId })),
              { mayExist: reused },
            );
          } catch (err) {
            if (!(err instanceof FeishuError)) throw err;
            memberFailure = err.explain().problem;
          }
        }
        const added = memberFailure ? [] : usable;
        const notAdded = [...unusable, ...(memberFailure ? usable.map((u) => ({ ...u, reason: memberFailure })) : [])];
        await ctx.audit('mail.mailgroup.create', email, 'ok', `${added.length} members`);
        // Its members go with it: deleting the group is the whole inverse.
        const change = await recordChange(ctx, {
          kind: 'mail.mailgroup.create',
          rule: 'mailgroup create',
          title: t('mailgroup.changeCreated', { email }),
          inverse: [{ op: 'mailgroup.delete', mailgroupId, email }],
        });
        return mailgroupCard(req, email, mailgroupId, added, notAdded, reused, undoButton(change));
      },
      scope === undefined ? {} : { scope },
    );
    return done.outcome === 'busy'
      ? { card: busyCard(t('mailgroup.creating')), outcome: 'busy' }
      : { card: done.value, outcome: done.outcome };
  } catch (err) {
    if (!(err instanceof FeishuError)) throw err;
    await ctx.audit('mail.mailgroup.create', req.email, 'error', `code ${err.code}`);
    const domain = isUnknownMailDomain(err)
      ? await ownMailbox(ctx).then(
          (m) => (m ? domainOf(m) : undefined),
          () => undefined,
        )
      : undefined;
    return { card: failureCard(MAILGROUP_FAILED, err, retryExample(req, err, domain)), outcome: 'failed' };
  }
}

function mailgroupCard(
  req: MailgroupRequest,
  email: string,
  mailgroupId: string,
  added: UserRef[],
  unusable: Unusable[],
  reused: boolean,
  undo: CardButton[],
): Card {
  const who = req.who ?? 'anyone';
  const partial = unusable.length > 0;
  return successCard({
    title: t(partial ? 'mailgroup.createdPartly' : 'mailgroup.created'),
    tone: partial ? 'partial' : 'done',
    summary: partial
      ? t('mailgroup.readyPartly', { email, added: added.length, asked: added.length + unusable.length })
      : t('mailgroup.readyAll', { email }),
    fields: [
      { label: t('mailgroup.field.address'), value: email },
      ...(req.name ? [{ label: t('group.field.name'), value: req.name }] : []),
      { label: t('mailgroup.field.id'), value: mailgroupId },
      { label: t('mailgroup.field.who'), value: WHO_TEXT[who] },
      ...(added.length ? [{ label: t('group.field.membersAdded'), value: added.map((u) => u.name).join('、') }] : []),
    ],
    ...(unusable.length ? { list: { label: t('group.field.notAdded'), items: unusable.map(describeUnusable) } } : {}),
    ...(reused ? { note: t('mailgroup.resumed') } : {}),
    actions: undo,
  });
}

export function registerMailgroup(app: App): void {
  app.command('mailgroup create', mailgroupCreateSpec, async (ctx, a) => {
    const { card } = await provisionMailgroup(ctx, {
      email: a.email,
      name: a.name,
      description: a.desc,
      who: a.who,
      members: a.members,
    });
    return card;
  });
}
