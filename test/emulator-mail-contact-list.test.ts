/** Listing a mailbox's mail contacts on the emulator, through the official SDK: paging and the create's token rules. */
import * as lark from '@larksuiteoapi/node-sdk';
import { describe, expect, it } from 'vitest';
import { control, rejection, useEmulator } from './helpers/emulator.js';
import { DOMAIN, LINA, userToken, ZHANGWEI } from './emulator-mail-support.js';

const h = useEmulator();

const contacts = () => h.client.mail.v1.userMailboxMailContact;
const asUser = (token?: string) => (token ? lark.withUserAccessToken(token) : undefined);
const list = (box: string, params: { page_size: number; page_token?: string }, token?: string) =>
  contacts().list({ path: { user_mailbox_id: box }, params }, asUser(token));
const create = (box: string, data: { name: string; mail_address?: string }, token?: string) =>
  contacts().create({ path: { user_mailbox_id: box }, data }, asUser(token));

describe('mail contact list', () => {
  it("lists a mailbox's contacts in creation order, page by page, with the fields they were created with", async () => {
    for (const n of [1, 2, 3]) await create(LINA, { name: `联系人${n}`, mail_address: `c${n}@example.com` });
    await create(ZHANGWEI, { name: "someone else's" });
    const first = await list(LINA, { page_size: 2 });
    expect(first.data?.items?.map((c) => [c.name, c.mail_address])).toEqual([
      ['联系人1', 'c1@example.com'],
      ['联系人2', 'c2@example.com'],
    ]);
    expect(first.data?.items?.[0]?.id).toMatch(/^\d+$/);
    expect(first.data?.has_more).toBe(true);
    const second = await list(LINA, { page_size: 2, page_token: first.data?.page_token });
    expect(second.data?.items?.map((c) => c.name)).toEqual(['联系人3']);
    expect(second.data?.has_more).toBe(false);
    expect((await list(`wangfang@${DOMAIN}`, { page_size: 50 })).data?.items).toEqual([]);
  });

  it('lists "me" with a user token and refuses it with the tenant token (1230001)', async () => {
    const token = await userToken(h.emu, ZHANGWEI);
    await create('me', { name: '我的联系人' }, token);
    expect((await list('me', { page_size: 10 }, token)).data?.items?.map((c) => c.name)).toEqual(['我的联系人']);
    const got = await rejection(list('me', { page_size: 10 }));
    expect([got.status, got.code]).toEqual([400, 1230001]);
  });

  it("refuses a user token on another user's mailbox (403 / 1230002)", async () => {
    const got = await rejection(list(LINA, { page_size: 10 }, await userToken(h.emu, ZHANGWEI)));
    expect([got.status, got.code]).toEqual([403, 1230002]);
  });

  it('refuses a page size over 50 or a missing one, and a forged page token, naming the parameter', async () => {
    for (const query of ['page_size=51', '']) {
      const got = await rejection(
        h.client.request({ method: 'GET', url: `/open-apis/mail/v1/user_mailboxes/${LINA}/mail_contacts?${query}` }),
      );
      expect([got.status, got.code]).toEqual([400, 1230001]);
      expect(got.msg).toContain('page_size');
    }
    const forged = await rejection(list(LINA, { page_size: 10, page_token: 'not-a-token' }));
    expect([forged.code, forged.msg.includes('page_token')]).toEqual([1230001, true]);
  });

  it('allows 50 lists a second and answers the 51st with 429 / 99991400', async () => {
    await control(h.emu, 'time', { scale: 0.001 });
    for (let i = 0; i < 50; i++) expect((await list(LINA, { page_size: 1 })).code).toBe(0);
    const got = await rejection(list(LINA, { page_size: 1 }));
    expect([got.status, got.code]).toEqual([429, 99991400]);
  });
});
