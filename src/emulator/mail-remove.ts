/**
 * The inverses of the mail creates: delete a mail group ("删除邮件组"), remove its members ("删除邮件组成员",
 * "批量删除邮件组成员", DELETE with a body, as the SDK sends it) and delete a mail contact ("删除邮箱联系人").
 * What they remove is kept in MailState.removed for the console.
 */
import { z } from 'zod';
import type { Kit, RouteBuilder } from './kit.js';
import { fail, parseWith, requireMailbox, requireMailgroup } from './mail-http.js';
import type { MailState } from './mail-state.js';

const MG = '/open-apis/mail/v1/mailgroups/:mailgroup_id';
const CONTACT = '/open-apis/mail/v1/user_mailboxes/:user_mailbox_id/mail_contacts/:mail_contact_id';
const CONTACT_PAGE = 'mail-contact-create' as const;

/** "批量删除邮件组成员": 1 to 200 ids, like its public-mailbox sibling. */
const batchDeleteSchema = z.object({
  member_id_list: z.array(z.string()).min(1, 'must list at least one member id').max(200, 'at most 200 ids'),
});

export function removeRoutes(
  kit: Kit,
  r: RouteBuilder,
  mail: MailState,
  contactMailboxCodes: Parameters<typeof requireMailbox>[4],
): void {
  // Same tier as the create (100/s); the group's members go with it.
  r.add({
    method: 'delete',
    path: MG,
    token: 'tenant',
    limits: { perSecond: 100 },
    handler: (ctx) => {
      mail.deleteMailgroup(requireMailgroup(kit, mail, ctx.params.mailgroup_id ?? ''));
      return {};
    },
  });

  /** Every id must be a member (404 / 1234014 names the others, and nothing is removed). */
  const removeMembers = (groupId: string, ids: string[]) => {
    const group = requireMailgroup(kit, mail, groupId);
    const missing = ids.filter((id) => !group.members.has(id));
    if (missing.length) {
      throw fail(kit, 1234014, 'platform', `not members of ${group.email}: ${missing.join(', ')}`);
    }
    mail.removeMembers(group, ids);
    return {};
  };

  // Declared before `members/:member_id`, which would otherwise take "batch_delete" for a member id.
  r.add({
    method: 'delete',
    path: `${MG}/members/batch_delete`,
    token: 'tenant',
    limits: { perSecond: 20 },
    handler: (ctx) => {
      const body = parseWith(kit, batchDeleteSchema, ctx.req.body, 1234008, 'mail-mailgroup-create');
      return removeMembers(ctx.params.mailgroup_id ?? '', body.member_id_list);
    },
  });

  r.add({
    method: 'delete',
    path: `${MG}/members/:member_id`,
    token: 'tenant',
    limits: { perSecond: 50 },
    handler: (ctx) => removeMembers(ctx.params.mailgroup_id ?? '', [ctx.params.member_id ?? '']),
  });

  // 20/min and the write scope, like the create; the mailbox is resolved the same way.
  r.add({
    method: 'delete',
    path: CONTACT,
    token: 'tenant_or_user',
    limits: { perMinute: 20 },
    userScopes: ['mail:user_mailbox.mail_contact:write'],
    handler: (ctx) => {
      const { address } = requireMailbox(
        kit,
        ctx.caller,
        ctx.params.user_mailbox_id ?? '',
        CONTACT_PAGE,
        contactMailboxCodes,
      );
      const id = ctx.params.mail_contact_id ?? '';
      if (!mail.deleteContact(address, id)) throw fail(kit, 1230001, CONTACT_PAGE, `no contact ${id} in ${address}`);
      return {};
    },
  });
}
