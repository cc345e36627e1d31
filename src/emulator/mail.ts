/**
 * The emulated mail Open API: mail groups and their members (Feishu "创建邮件组", "创建邮件组成员" and their
 * siblings), mail contacts ("创建邮箱联系人"), and, from mail-send.ts, messages/send and drafts.
 * Also `GET|POST /_emulator/mail/limits` to read or lower the tenant's mail quotas at run time.
 */
import type express from 'express';
import { z } from 'zod';
import type { Kit } from './kit.js';
import {
  contactCreateSchema,
  domainOf,
  mailgroupCreateSchema,
  memberBatchSchema,
  memberCreateSchema,
  pageSizeSchema,
  paginate,
  RuleError,
  type MemberInput,
} from './mail-rules.js';
import { fail, parseWith, requireMailbox, requireMailgroup, rule } from './mail-http.js';
import { removeRoutes } from './mail-remove.js';
import { sendRoutes } from './mail-send.js';
import { MailState, type Mailgroup, type MailgroupMember } from './mail-state.js';
import { DEPARTMENTS } from './seed.js';
import { randomId, type UserIdType } from './state.js';

const MG = '/open-apis/mail/v1/mailgroups';
const MG_PAGE = 'mail-mailgroup-create' as const;
const CONTACT_PAGE = 'mail-contact-create' as const;
const CONTACTS = '/open-apis/mail/v1/user_mailboxes/:user_mailbox_id/mail_contacts';
/** Same mailbox rules as the create, on its doc page (the list has no page of its own here). */
const CONTACT_MAILBOX_CODES = {
  me_needs_user: 1230001,
  not_found: 1230001,
  inactive: 1230001,
  forbidden: 1230002,
} as const;

const userIdTypeSchema = z
  .enum(['open_id', 'union_id', 'user_id'], { message: 'must be open_id, union_id or user_id' })
  .default('open_id');
const memberQuerySchema = z.object({ user_id_type: userIdTypeSchema, department_id_type: z.string().optional() });
const listQuerySchema = z.object({
  page_size: pageSizeSchema(20, 200),
  page_token: z.string().optional(),
  user_id_type: userIdTypeSchema,
  manager_user_id: z
    .undefined({ message: 'filtering by manager is not supported by the emulator: omit it' })
    .optional(),
});
/** page_size is required by the contact list (SDK typings), at most 50. */
const contactListQuerySchema = z.object({
  page_size: z.coerce.number({ message: 'page_size is required: 1-50' }).int().min(1).max(50, 'must be 1-50'),
  page_token: z.string().optional(),
});

function mailgroupView(g: Mailgroup) {
  const members = [...g.members.values()];
  return {
    mailgroup_id: g.mailgroup_id,
    email: g.email,
    name: g.name,
    description: g.description,
    direct_members_count: String(members.length),
    include_external_member: members.some((m) => m.type === 'EXTERNAL_USER'),
    include_all_company_member: members.some((m) => m.type === 'COMPANY'),
    who_can_send_mail: g.who_can_send_mail,
  };
}

export function mailRoutes(kit: Kit): express.Router {
  const mail = new MailState(() => kit.clock.now(), kit.state.standing);
  kit.state.registerSection('mail', mail);
  const r = kit.routes();
  const { state } = kit;
  const domain = state.app.mailDomain;

  const memberView = (m: MailgroupMember, idType: UserIdType) => {
    const user = m.openId ? state.userByOpenId(m.openId) : undefined;
    return {
      member_id: m.member_id,
      type: m.type,
      ...(m.email ? { email: m.email } : {}),
      ...(user ? { user_id: user[idType] } : {}),
      ...(m.department_id ? { department_id: m.department_id } : {}),
    };
  };

  const groupOrThrow = (id: string) => requireMailgroup(kit, mail, id);

  /** Validates one member against the directory; throws RuleError (→ 1234008). */
  const toMember = (
    group: Mailgroup,
    input: MemberInput,
    idType: UserIdType,
    pending: MailgroupMember[],
  ): MailgroupMember => {
    const email = input.email?.toLowerCase();
    const member: MailgroupMember = { member_id: randomId('', 16), type: input.type };
    switch (input.type) {
      case 'USER': {
        const user = state.userById(idType, input.user_id ?? '');
        if (!user || user.tenant_key !== state.app.tenantKey || user.resigned) {
          throw new RuleError(`user_id ${input.user_id} (${idType}) is not an active user of this tenant`);
        }
        member.openId = user.open_id;
        break;
      }
      case 'DEPARTMENT':
        if (!Object.values(DEPARTMENTS).includes(input.department_id as never)) {
          throw new RuleError(`department_id ${input.department_id} is not a department of this tenant`);
        }
        member.department_id = input.department_id;
        break;
      case 'COMPANY':
        break;
      case 'EXTERNAL_USER':
        if (domainOf(email ?? '') === domain)
          throw new RuleError(`${email} is inside ${domain}: use type USER or OTHER_MEMBER`);
        member.email = email;
        break;
      case 'MAIL_GROUP': {
        const other = mail.mailgroup(email ?? '');
        if (!other) throw new RuleError(`${email} is not a mail group of this tenant`);
        if (other === group) throw new RuleError('a mail group cannot be a member of itself');
        member.email = other.email;
        break;
      }
      default:
        if (domainOf(email ?? '') !== domain)
          throw new RuleError(`${input.type} members need an address in ${domain}, got ${email}`);
        member.email = email;
    }
    const same = (m: MailgroupMember) =>
      m.type === member.type &&
      m.email === member.email &&
      m.openId === member.openId &&
      m.department_id === member.department_id;
    if ([...group.members.values(), ...pending].some(same)) {
      throw new RuleError(
        `${input.type} ${input.user_id ?? input.department_id ?? input.email ?? ''} is already a member`.trim(),
      );
    }
    return member;
  };

  const addMembers = (group: Mailgroup, inputs: MemberInput[], idType: UserIdType) => {
    const pending: MailgroupMember[] = [];
    inputs.forEach((input, i) => {
      const where = inputs.length > 1 ? `items[${i}]: ` : '';
      try {
        pending.push(toMember(group, input, idType, pending));
      } catch (e) {
        if (e instanceof RuleError) throw fail(kit, 1234008, MG_PAGE, where + e.message);
        throw e;
      }
    });
    if (group.members.size + pending.length > mail.limits.maxMembersPerMailgroup) {
      throw fail(
        kit,
        1234030,
        MG_PAGE,
        `the group would have ${group.members.size + pending.length} members, over the limit of ${mail.limits.maxMembersPerMailgroup}`,
      );
    }
    for (const m of pending) group.members.set(m.member_id, m);
    return pending.map((m) => memberView(m, idType));
  };

  // ---- mail groups ----

  r.add({
    method: 'post',
    path: MG,
    token: 'tenant',
    limits: { perSecond: 100 },
    handler: (ctx) => {
      const body = parseWith(kit, mailgroupCreateSchema, ctx.req.body, 1234008, MG_PAGE);
      const email = (body.email ?? `${randomId('mailgroup-', 8)}@${domain}`).toLowerCase();
      if (domainOf(email) !== domain)
        throw fail(kit, 1234019, MG_PAGE, `the tenant's mail domain is ${domain}, not ${domainOf(email)}`);
      if (mail.mailgroup(email)) throw fail(kit, 1234006, MG_PAGE, `${email} is already a mail group`);
      if (state.userByMailbox(email)) throw fail(kit, 1234033, MG_PAGE, `${email} is a user's login mailbox`);
      if (mail.mailgroups.size >= mail.limits.maxMailgroups) {
        throw fail(
          kit,
          1234030,
          MG_PAGE,
          `the tenant already has ${mail.mailgroups.size} mail groups (limit ${mail.limits.maxMailgroups})`,
        );
      }
      return mailgroupView(
        mail.addMailgroup({
          email,
          name: body.name ?? '',
          description: body.description ?? '',
          who_can_send_mail: body.who_can_send_mail ?? 'ALL_INTERNAL_USERS',
        }),
      );
    },
  });

  r.add({
    method: 'get',
    path: MG,
    token: 'tenant',
    limits: { perSecond: 50 },
    handler: (ctx) => {
      const q = parseWith(kit, listQuerySchema, ctx.req.query, 1234008, MG_PAGE);
      const { page, has_more, page_token } = rule(kit, MG_PAGE, 1234008, () =>
        paginate([...mail.mailgroups.values()], q.page_size, q.page_token),
      );
      return { has_more, page_token, items: page.map(mailgroupView) };
    },
  });

  r.add({
    method: 'get',
    path: `${MG}/:mailgroup_id`,
    token: 'tenant',
    limits: { perSecond: 50 },
    handler: (ctx) => mailgroupView(groupOrThrow(ctx.params.mailgroup_id ?? '')),
  });

  r.add({
    method: 'post',
    path: `${MG}/:mailgroup_id/members`,
    token: 'tenant',
    limits: { perSecond: 50 },
    handler: (ctx) => {
      const q = parseWith(kit, memberQuerySchema, ctx.req.query, 1234008, MG_PAGE);
      const group = groupOrThrow(ctx.params.mailgroup_id ?? '');
      const input = parseWith(kit, memberCreateSchema, ctx.req.body, 1234008, MG_PAGE);
      return addMembers(group, [input], q.user_id_type)[0];
    },
  });

  r.add({
    method: 'post',
    path: `${MG}/:mailgroup_id/members/batch_create`,
    token: 'tenant',
    limits: { perSecond: 20 },
    handler: (ctx) => {
      const q = parseWith(kit, memberQuerySchema, ctx.req.query, 1234008, MG_PAGE);
      const group = groupOrThrow(ctx.params.mailgroup_id ?? '');
      const body = parseWith(kit, memberBatchSchema, ctx.req.body, 1234008, MG_PAGE);
      return { items: addMembers(group, body.items, q.user_id_type) };
    },
  });

  r.add({
    method: 'get',
    path: `${MG}/:mailgroup_id/members`,
    token: 'tenant',
    limits: { perSecond: 50 },
    handler: (ctx) => {
      const q = parseWith(kit, listQuerySchema.omit({ manager_user_id: true }), ctx.req.query, 1234008, MG_PAGE);
      const group = groupOrThrow(ctx.params.mailgroup_id ?? '');
      const { page, has_more, page_token } = rule(kit, MG_PAGE, 1234008, () =>
        paginate([...group.members.values()], q.page_size, q.page_token),
      );
      return { has_more, page_token, items: page.map((m) => memberView(m, q.user_id_type)) };
    },
  });

  // ---- mail contacts ----

  r.add({
    method: 'post',
    path: CONTACTS,
    token: 'tenant_or_user',
    limits: { perMinute: 20 },
    // Feishu "创建邮箱联系人"; no page names a scope for the list, so it is not checked there.
    userScopes: ['mail:user_mailbox.mail_contact:write'],
    handler: (ctx) => {
      const body = parseWith(kit, contactCreateSchema, ctx.req.body, 1230001, CONTACT_PAGE);
      const { address } = requireMailbox(
        kit,
        ctx.caller,
        ctx.params.user_mailbox_id ?? '',
        CONTACT_PAGE,
        CONTACT_MAILBOX_CODES,
      );
      return { mail_contact: { ...mail.addContact(address, body), avatar: '' } };
    },
  });

  // No documented quota for the list: 50/s like the other mail reads.
  r.add({
    method: 'get',
    path: CONTACTS,
    token: 'tenant_or_user',
    limits: { perSecond: 50 },
    handler: (ctx) => {
      const q = parseWith(kit, contactListQuerySchema, ctx.req.query, 1230001, CONTACT_PAGE);
      const { address } = requireMailbox(
        kit,
        ctx.caller,
        ctx.params.user_mailbox_id ?? '',
        CONTACT_PAGE,
        CONTACT_MAILBOX_CODES,
      );
      const { page, has_more, page_token } = rule(kit, CONTACT_PAGE, 1230001, () =>
        paginate(mail.contacts.get(address) ?? [], q.page_size, q.page_token),
      );
      return { items: page.map((c) => ({ ...c, avatar: '' })), page_token, has_more };
    },
  });

  sendRoutes(kit, r, mail);
  removeRoutes(kit, r, mail, CONTACT_MAILBOX_CODES);

  // ---- control: mail quotas ----

  r.router.get('/_emulator/mail/limits', (_req, res) => {
    res.json(mail.limits);
  });
  r.router.post('/_emulator/mail/limits', (req, res) => {
    try {
      res.json(mail.setLimits(req.body ?? {}));
    } catch (e) {
      if (!(e instanceof z.ZodError)) throw e;
      res.status(400).json({
        error: `invalid mail limits: ${e.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')}`,
      });
    }
  });

  return r.router;
}
