/** The organisation's directory: users by open_id (contact/v3/users) and open_ids by email (batch_get_id). */
import { z } from 'zod';
import type { FeishuClient } from '../client/client.js';
import { chunks, need, parse } from '../client/wire.js';
import { emailSchema, openIdSchema } from './shared.js';

const userIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a user_id');

export const emailsSchema = z.array(emailSchema);

export interface FeishuUser {
  openId: string;
  /** The tenant's own id for the person (needs contact:user.employee_id:readonly, else absent). */
  userId?: string;
  /** The same person across the developer's apps. */
  unionId?: string;
  name: string;
  enName?: string;
  email?: string;
  enterpriseEmail?: string;
  isResigned: boolean;
  departmentIds?: string[];
  /** The leader's user_id (not open_id): look them up with `getUser(id, 'user_id')`. */
  leaderUserId?: string;
  jobTitle?: string;
}

export class ContactApi {
  constructor(private readonly c: FeishuClient) {}

  async getUser(id: string, idType: 'open_id' | 'user_id' = 'open_id'): Promise<FeishuUser> {
    parse(idType === 'open_id' ? openIdSchema : userIdSchema, id, 'directory.getUser');
    const res = await this.c.call('user.get', {}, (o) =>
      this.c.sdk.contact.v3.user.get({ path: { user_id: id }, params: { user_id_type: idType } }, o),
    );
    const u = res.data?.user;
    return {
      openId: need(u?.open_id, 'user.get', 'data.user.open_id'),
      userId: u?.user_id || undefined,
      unionId: u?.union_id || undefined,
      name: u?.name ?? '',
      enName: u?.en_name || undefined,
      email: u?.email || undefined,
      enterpriseEmail: u?.enterprise_email || undefined,
      isResigned: u?.status?.is_resigned ?? false,
      departmentIds: u?.department_ids ?? [],
      leaderUserId: u?.leader_user_id || undefined,
      jobTitle: u?.job_title || undefined,
    };
  }

  /**
   * Maps each email to its open_id, or undefined when the user is unknown or not visible to the app.
   * `includeResigned`: people who have left are found too (offboarding looks them up).
   */
  async openIdsByEmail(
    emails: string[],
    opts: { includeResigned?: boolean } = {},
  ): Promise<Map<string, string | undefined>> {
    parse(emailsSchema, emails, 'directory.openIdsByEmail');
    const out = new Map<string, string | undefined>(emails.map((e) => [e, undefined]));
    for (const batch of chunks(emails, 50)) {
      const res = await this.c.call('user.batchGetId', {}, (o) =>
        this.c.sdk.contact.v3.user.batchGetId(
          { params: { user_id_type: 'open_id' }, data: { emails: batch, include_resigned: opts.includeResigned } },
          o,
        ),
      );
      for (const u of res.data?.user_list ?? []) if (u.email && u.user_id) out.set(u.email, u.user_id);
    }
    return out;
  }
}
