/** The inverses of the mail creates on the emulator, through the official SDK: groups, their members, contacts. */
import * as lark from '@larksuiteoapi/node-sdk';
import { describe, expect, it } from 'vitest';
import { openIdFor } from '../src/emulator/seed.js';
import { control, rejection, useEmulator } from './helpers/emulator.js';
import { DOMAIN, LINA } from './emulator-mail-support.js';

/** The SDK's per-call options, as withUserAccessToken makes them. */
type Opts = ReturnType<typeof lark.withUserAccessToken>;
const h = useEmulator();

const mail = () => h.client.mail.v1;
const removed = async () => ((await control(h.emu, 'state')).mail as { removed: { kind: string }[] }).removed;
const limitsOf = async (route: string) => ((await control(h.emu, 'limits')).limits as Record<string, unknown>)[route];

/** A group holding Li Na, an external address and the whole company; its id and the member ids. */
async function groupWithMembers(email = `team@${DOMAIN}`) {
  const group = (await mail().mailgroup.create({ data: { email, name: '团队 Team' } })).data!.mailgroup_id!;
  const batch = await mail().mailgroupMember.batchCreate({
    path: { mailgroup_id: group },
    data: {
      items: [
        { type: 'USER', user_id: openIdFor('lina') },
        { type: 'EXTERNAL_USER', email: 'partner@vendor.example' },
        { type: 'COMPANY' },
      ],
    },
  });
  return { group, memberIds: batch.data!.items!.map((m) => m.member_id!) };
}

async function memberIdsOf(group: string): Promise<string[]> {
  const listed = await mail().mailgroupMember.list({ path: { mailgroup_id: group }, params: { page_size: 200 } });
  return (listed.data?.items ?? []).map((m) => m.member_id!);
}

describe('delete a mail group', () => {
  it('deletes by id or by address; the group is gone from get and list and kept as removed for the console', async () => {
    const { group } = await groupWithMembers();
    await mail().mailgroup.create({ data: { email: `other@${DOMAIN}` } });
    expect((await mail().mailgroup.delete({ path: { mailgroup_id: group } })).code).toBe(0);
    expect((await mail().mailgroup.delete({ path: { mailgroup_id: `other@${DOMAIN}` } })).code).toBe(0);
    const gone = await rejection(mail().mailgroup.get({ path: { mailgroup_id: group } }));
    expect([gone.status, gone.code, gone.msg]).toEqual([404, 1234013, expect.stringMatching(/^mail group not found/)]);
    expect((await mail().mailgroup.list({ params: { page_size: 20 } })).data?.items ?? []).toEqual([]);
    expect(await removed()).toMatchObject([
      { kind: 'mailgroup', email: `team@${DOMAIN}` },
      { kind: 'mailgroup', email: `other@${DOMAIN}` },
    ]);
  });

  it('answers 404 / 1234013 for a group that is not there, and refuses a user token', async () => {
    const again = await rejection(mail().mailgroup.delete({ path: { mailgroup_id: `none@${DOMAIN}` } }));
    expect([again.status, again.code]).toEqual([404, 1234013]);
    const token = h.emu.state.issueUserTokens(openIdFor('zhangwei')).access.token;
    const asUser = mail().mailgroup.delete({ path: { mailgroup_id: 'x' } }, lark.withUserAccessToken(token));
    expect((await rejection(asUser)).code).toBe(99991663);
  });

  it('is limited to 100 a second', async () => {
    const route = 'DELETE /open-apis/mail/v1/mailgroups/:mailgroup_id';
    expect(await limitsOf(route)).toMatchObject({ perSecond: 100 });
    await control(h.emu, 'limits', { route, perSecond: 1 });
    await rejection(mail().mailgroup.delete({ path: { mailgroup_id: 'a' } }));
    const over = await rejection(mail().mailgroup.delete({ path: { mailgroup_id: 'b' } }));
    expect([over.status, over.code]).toEqual([429, 99991400]);
  });
});

describe('remove mail group members', () => {
  it('lists members page by page and removes one by its member id', async () => {
    const { group, memberIds } = await groupWithMembers();
    const first = await mail().mailgroupMember.list({ path: { mailgroup_id: group }, params: { page_size: 2 } });
    expect(first.data?.has_more).toBe(true);
    const res = await mail().mailgroupMember.delete({ path: { mailgroup_id: group, member_id: memberIds[0]! } });
    expect(res.code).toBe(0);
    expect(await memberIdsOf(group)).toEqual(memberIds.slice(1));
    expect(await removed()).toMatchObject([{ kind: 'member', mailgroup: `team@${DOMAIN}`, member: { type: 'USER' } }]);
    const again = await rejection(
      mail().mailgroupMember.delete({ path: { mailgroup_id: group, member_id: memberIds[0]! } }),
    );
    expect([again.status, again.code]).toEqual([404, 1234014]);
  });

  it('removes several in one batch_delete, and removes none when one id is not a member (1234014)', async () => {
    const { group, memberIds } = await groupWithMembers();
    const partly = await rejection(
      mail().mailgroupMember.batchDelete({
        path: { mailgroup_id: group },
        data: { member_id_list: [memberIds[0]!, 'not-a-member'] },
      }),
    );
    expect([partly.status, partly.code]).toEqual([404, 1234014]);
    expect(partly.msg).toContain('not-a-member');
    expect(await memberIdsOf(group)).toEqual(memberIds);
    const ok = await mail().mailgroupMember.batchDelete({
      path: { mailgroup_id: `team@${DOMAIN}` },
      data: { member_id_list: memberIds.slice(0, 2) },
    });
    expect(ok.code).toBe(0);
    expect(await memberIdsOf(group)).toEqual(memberIds.slice(2));
  });

  it('refuses an empty or over-long member_id_list (1234008) and an unknown group (1234013)', async () => {
    const { group } = await groupWithMembers();
    for (const list of [[], Array.from({ length: 201 }, (_, i) => `m${i}`)]) {
      const got = await rejection(
        mail().mailgroupMember.batchDelete({ path: { mailgroup_id: group }, data: { member_id_list: list } }),
      );
      expect([got.status, got.code]).toEqual([400, 1234008]);
    }
    const unknown = await rejection(
      mail().mailgroupMember.batchDelete({ path: { mailgroup_id: 'nope' }, data: { member_id_list: ['m'] } }),
    );
    expect(unknown.code).toBe(1234013);
  });

  it('has the documented limits: 50 a second for one member, 20 for a batch', async () => {
    const base = 'DELETE /open-apis/mail/v1/mailgroups/:mailgroup_id/members';
    expect(await limitsOf(`${base}/:member_id`)).toMatchObject({ perSecond: 50 });
    expect(await limitsOf(`${base}/batch_delete`)).toMatchObject({ perSecond: 20 });
  });
});

describe('delete a mail contact', () => {
  const contacts = () => mail().userMailboxMailContact;
  const add = (mailbox: string, name: string, opts?: Opts) =>
    contacts().create(
      { path: { user_mailbox_id: mailbox }, data: { name, mail_address: `${name}@vendor.example` } },
      opts,
    );
  const del = (mailbox: string, id: string, opts?: Opts) =>
    contacts().delete({ path: { user_mailbox_id: mailbox, mail_contact_id: id } }, opts);
  const names = async (mailbox: string) =>
    ((await contacts().list({ path: { user_mailbox_id: mailbox }, params: { page_size: 50 } })).data?.items ?? []).map(
      (c) => c.name,
    );
  const asUser = (who: string, scope?: string) =>
    lark.withUserAccessToken(h.emu.state.issueUserTokens(openIdFor(who), scope).access.token);

  it("deletes a contact with the tenant token, or with the user's own token as me", async () => {
    const a = (await add(LINA, 'alice')).data!.mail_contact!.id!;
    const b = (await add(LINA, 'bob')).data!.mail_contact!.id!;
    expect((await del(LINA, a)).code).toBe(0);
    expect(await names(LINA)).toEqual(['bob']);
    expect((await del('me', b, asUser('lina'))).code).toBe(0);
    expect(await names(LINA)).toEqual([]);
    expect(await removed()).toMatchObject([
      { kind: 'contact', mailbox: LINA, contact: { name: 'alice' } },
      { kind: 'contact', mailbox: LINA, contact: { name: 'bob' } },
    ]);
  });

  it('answers 1230001 for an unknown contact or "me" with the tenant token, 1230002 for another user\'s mailbox', async () => {
    const id = (await add(LINA, 'carol')).data!.mail_contact!.id!;
    const unknown = await rejection(del(LINA, '1'));
    expect([unknown.status, unknown.code]).toEqual([400, 1230001]);
    expect((await rejection(del('me', id))).code).toBe(1230001);
    const other = await rejection(del(LINA, id, asUser('zhangwei')));
    expect([other.status, other.code]).toEqual([403, 1230002]);
    expect(await names(LINA)).toEqual(['carol']);
  });

  it('answers 99991679 to a user who has not granted the contact write scope', async () => {
    const id = (await add(LINA, 'dave')).data!.mail_contact!.id!;
    const got = await rejection(del('me', id, asUser('lina', 'mail:user_mailbox.message:send')));
    expect(got.code).toBe(99991679);
  });

  it('allows 20 deletes a minute and answers the 21st with 429 / 99991400', async () => {
    for (let i = 0; i < 20; i++) expect((await rejection(del(LINA, String(i)))).code).toBe(1230001);
    const over = await rejection(del(LINA, 'x'));
    expect([over.status, over.code]).toEqual([429, 99991400]);
  });
});
