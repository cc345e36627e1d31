/** The organisation's directory: users by open_id (contact/v3/users) and open_ids by email (batch_get_id). */
import { z } from 'zod';
import type { FeishuClient } from '../client/client.js';
import { chunks, need, parse } from '../client/wire.js';
import { emailSchema, openIdSchema } from './shared.js';

export const emailsSchema = z.array(emailSchema);

export interface FeishuUser {
  openId: string;
  name: string;
  enName?: string;
  email?: string;
  enterpriseEmail?: string;
  isResigned: boolean;
}

export class ContactApi {
  constructor(private readonly c: FeishuClient) {}

  async getUser(openId: string): Promise<FeishuUser> {
    parse(openIdSchema, openId, 'directory.getUser');
    const res = await this.c.call('user.get', {}, (o) =>
      this.c.sdk.contact.v3.user.get({ path: { user_id: openId }, params: { user_id_type: 'open_id' } }, o),
    );
    const u = res.data?.user;
    return {
      openId: need(u?.open_id, 'user.get', 'data.user.open_id'),
      name: u?.name ?? '',
      enName: u?.en_name || undefined,
      email: u?.email || undefined,
      enterpriseEmail: u?.enterprise_email || undefined,
      isResigned: u?.status?.is_resigned ?? false,
    };
  }

  /** Maps each email to its open_id, or undefined when the user is unknown or not visible to the app. */
  async openIdsByEmail(emails: string[]): Promise<Map<string, string | undefined>> {
    parse(emailsSchema, emails, 'directory.openIdsByEmail');
    const out = new Map<string, string | undefined>(emails.map((e) => [e, undefined]));
    for (const batch of chunks(emails, 50)) {
      const res = await this.c.call('user.batchGetId', {}, (o) =>
        this.c.sdk.contact.v3.user.batchGetId({ params: { user_id_type: 'open_id' }, data: { emails: batch } }, o),
      );
      for (const u of res.data?.user_list ?? []) if (u.email && u.user_id) out.set(u.email, u.user_id);
    }
    return out;
  }
}
