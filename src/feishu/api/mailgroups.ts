/** Mail groups: create, get, delete, and members (mail/v1/mailgroups). Tenant token only. */
import { z } from 'zod';
import type { FeishuClient } from '../client/client.js';
import { chunks, need, parse } from '../client/wire.js';
import { FeishuError, isAlreadyGone, isMemberGone } from '../errors.js';
import { emailSchema, openIdSchema } from './shared.js';

export const createMailgroupSchema = z.object({
  email: emailSchema,
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  whoCanSendMail: z.enum(['ANYONE', 'ALL_INTERNAL_USERS', 'ALL_GROUP_MEMBERS', 'CUSTOM_MEMBERS']).optional(),
});
export type CreateMailgroupInput = z.input<typeof createMailgroupSchema>;

export const mailgroupMemberSchema = z.union([
  z.object({ type: z.literal('USER'), userId: openIdSchema }),
  z.object({ type: z.literal('DEPARTMENT'), departmentId: z.string().min(1) }),
  z.object({ type: z.enum(['EXTERNAL_USER', 'MAIL_GROUP', 'OTHER_MEMBER']), email: emailSchema }),
]);
export type MailgroupMember = z.infer<typeof mailgroupMemberSchema>;
export const mailgroupMembersSchema = z.array(mailgroupMemberSchema).min(1, 'give at least one member');

export interface MailgroupInfo {
  mailgroupId: string;
  email: string;
  name?: string;
  description?: string;
  whoCanSendMail?: string;
}

/** Feishu's "address in use" (1234006): after an unanswered create, possibly our own group. */
const ADDRESS_IN_USE = 1234006;
/** Feishu's "request parameter error" (1234008), which batch_create also answers for members already in. */
const PARAMETER_ERROR = 1234008;
/** Feishu's "mail group not found" (1234013). */
const NOT_FOUND = 1234013;

export class MailgroupsApi {
  constructor(private readonly c: FeishuClient) {}

  /**
   * The create has no idempotency key: after an unanswered attempt the group is looked up by its address and taken
   * as ours when it has the name, description and sender policy we asked for. `mayExist` (a run resumed after a
   * crash) looks before the first attempt too (see lookFirst). `adopted`: found rather than created by this call.
   */
  async create(
    input: CreateMailgroupInput,
    opts: { mayExist?: boolean } = {},
  ): Promise<{ mailgroupId: string; email: string; adopted: boolean }> {
    const p = parse(createMailgroupSchema, input, 'mailgroups.create');
    const find = async () => {
      const g = await this.get(p.email);
      const ours =
        g &&
        (p.name === undefined || g.name === p.name) &&
        (p.description === undefined || g.description === p.description) &&
        (p.whoCanSendMail === undefined || g.whoCanSendMail === p.whoCanSendMail);
      return ours ? g : undefined;
    };
    const existing = opts.mayExist ? await this.c.lookFirst(find) : undefined;
    if (existing) return { mailgroupId: existing.mailgroupId, email: existing.email, adopted: true };
    let adopted = false;
    const res = await this.c.call(
      'mailgroup.create',
      {},
      (o) =>
        this.c.sdk.mail.v1.mailgroup.create(
          { data: { email: p.email, name: p.name, description: p.description, who_can_send_mail: p.whoCanSendMail } },
          o,
        ),
      {
        conflictCode: ADDRESS_IN_USE,
        find: async () => {
          const g = await find();
          adopted = g !== undefined;
          return g && { code: 0, data: { mailgroup_id: g.mailgroupId, email: g.email } };
        },
      },
    );
    return {
      mailgroupId: need(res.data?.mailgroup_id, 'mailgroup.create', 'data.mailgroup_id'),
      email: res.data?.email ?? p.email,
      adopted,
    };
  }

  /** A mail group by id or address (the API takes either); undefined when there is none. */
  async get(idOrEmail: string): Promise<MailgroupInfo | undefined> {
    try {
      const res = await this.c.call('mailgroup.get', {}, (o) =>
        this.c.sdk.mail.v1.mailgroup.get({ path: { mailgroup_id: idOrEmail } }, o),
      );
      const g = res.data;
      return {
        mailgroupId: need(g?.mailgroup_id, 'mailgroup.get', 'data.mailgroup_id'),
        email: g?.email ?? idOrEmail,
        name: g?.name,
        description: g?.description,
        whoCanSendMail: g?.who_can_send_mail,
      };
    } catch (err) {
      if (err instanceof FeishuError && err.code === NOT_FOUND) return undefined;
      throw err;
    }
  }

  /** Every mail group of the tenant, 200 per page (the API's maximum). */
  async list(): Promise<MailgroupInfo[]> {
    const out: MailgroupInfo[] = [];
    let pageToken: string | undefined;
    do {
      const res = await this.c.call('mailgroup.list', {}, (o) =>
        this.c.sdk.mail.v1.mailgroup.list({ params: { page_size: 200, page_token: pageToken } }, o),
      );
      for (const g of res.data?.items ?? [])
        if (g.mailgroup_id && g.email)
          out.push({
            mailgroupId: g.mailgroup_id,
            email: g.email,
            name: g.name,
            description: g.description,
            whoCanSendMail: g.who_can_send_mail,
          });
      pageToken = res.data?.has_more ? res.data.page_token : undefined;
    } while (pageToken);
    return out;
  }

  /**
   * batch_create takes 1–200 members per call; larger lists go in sequential chunks. It has no idempotency key:
   * after an unanswered attempt the group's members are listed, and a batch whose members are all in is done.
   * `mayExist` (a run resumed after a crash past this call): Feishu refuses members that are already in, so that
   * refusal is checked against the member list too.
   */
  async addMembers(
    mailgroupId: string,
    members: MailgroupMember[],
    opts: { mayExist?: boolean } = {},
  ): Promise<{ memberIds: string[] }> {
    const list = parse(mailgroupMembersSchema, members, 'mailgroups.addMembers');
    const memberIds: string[] = [];
    for (const batch of chunks(list, 200)) {
      const items = batch.map((m) => ({
        type: m.type,
        ...('userId' in m ? { user_id: m.userId } : {}),
        ...('departmentId' in m ? { department_id: m.departmentId } : {}),
        ...('email' in m ? { email: m.email } : {}),
      }));
      const find = async () => {
        const present = await this.listMembers(mailgroupId);
        const ids = items.map(
          (i) =>
            present.find(
              (p) =>
                p.type === i.type &&
                p.user_id === i.user_id &&
                p.department_id === i.department_id &&
                p.email?.toLowerCase() === i.email?.toLowerCase(),
            )?.member_id,
        );
        return ids.every((id) => id !== undefined)
          ? { code: 0, data: { items: ids.map((member_id) => ({ member_id })) } }
          : undefined;
      };
      // The lookup takes no serial key: it runs inside this batch's turn on the group's key.
      const res = await this.c.call(
        'mailgroup.members.batchCreate',
        { serial: `mailgroup:${mailgroupId}` },
        (o) =>
          this.c.sdk.mail.v1.mailgroupMember.batchCreate(
            { path: { mailgroup_id: mailgroupId }, params: { user_id_type: 'open_id' }, data: { items } },
            o,
          ),
        { find, conflictCode: PARAMETER_ERROR, mayExist: opts.mayExist },
      );
      memberIds.push(...(res.data?.items ?? []).flatMap((i) => (i.member_id ? [i.member_id] : [])));
    }
    return { memberIds };
  }

  /** The group's members as the ports describe them (users by open_id), with the ids removal takes. */
  async members(mailgroupId: string): Promise<(MailgroupMember & { memberId: string })[]> {
    return (await this.listMembers(mailgroupId)).flatMap((m): (MailgroupMember & { memberId: string })[] => {
      if (!m.member_id) return [];
      const memberId = m.member_id;
      if (m.type === 'USER' && m.user_id) return [{ type: 'USER' as const, userId: m.user_id, memberId }];
      if (m.type === 'DEPARTMENT' && m.department_id)
        return [{ type: 'DEPARTMENT' as const, departmentId: m.department_id, memberId }];
      const kinds = ['EXTERNAL_USER', 'MAIL_GROUP', 'OTHER_MEMBER'] as const;
      const type = kinds.find((k) => k === m.type);
      return type && m.email ? [{ type, email: m.email, memberId }] : [];
    });
  }

  /**
   * Removes members by member id (batch_delete). Feishu refuses a whole call that names one id that is not a member
   * (1234014): after one, the members still there are removed, so ids already gone (an earlier attempt whose answer
   * was lost, someone else's removal) count as removed.
   */
  async removeMembers(mailgroupId: string, memberIds: string[]): Promise<void> {
    const remove = (ids: string[]) =>
      this.c.call('mailgroup.members.batchDelete', { serial: `mailgroup:${mailgroupId}`, idempotent: true }, (o) =>
        this.c.sdk.mail.v1.mailgroupMember.batchDelete(
          { path: { mailgroup_id: mailgroupId }, data: { member_id_list: ids } },
          o,
        ),
      );
    for (const batch of chunks(memberIds, 200)) {
      try {
        await remove(batch);
      } catch (err) {
        if (!isMemberGone(err)) throw err;
        const present = new Set((await this.listMembers(mailgroupId)).map((m) => m.member_id));
        const left = batch.filter((id) => present.has(id));
        if (left.length) await remove(left);
      }
    }
  }

  /** Deletes the group (by id or address); one already gone (1234013) is done. */
  async delete(mailgroupId: string): Promise<void> {
    try {
      await this.c.call('mailgroup.delete', { serial: `mailgroup:${mailgroupId}`, idempotent: true }, (o) =>
        this.c.sdk.mail.v1.mailgroup.delete({ path: { mailgroup_id: mailgroupId } }, o),
      );
    } catch (err) {
      if (!isAlreadyGone(err)) throw err;
    }
  }

  /** Every member of a mail group, users by open_id, 200 per page (the API's maximum). */
  private async listMembers(mailgroupId: string) {
    const out: { member_id?: string; type?: string; user_id?: string; department_id?: string; email?: string }[] = [];
    let pageToken: string | undefined;
    do {
      const res = await this.c.call('mailgroup.members.list', {}, (o) =>
        this.c.sdk.mail.v1.mailgroupMember.list(
          {
            path: { mailgroup_id: mailgroupId },
            params: { user_id_type: 'open_id', page_size: 200, page_token: pageToken },
          },
          o,
        ),
      );
      out.push(...(res.data?.items ?? []));
      pageToken = res.data?.has_more ? res.data.page_token : undefined;
    } while (pageToken);
    return out;
  }
}
