/** Mail groups, their members and mail contacts on the emulator, through the official SDK. */
import * as lark from '@larksuiteoapi/node-sdk';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { openIdFor, DEPARTMENTS } from '../src/emulator/seed.js';
import { control, rejection, useEmulator } from './helpers/emulator.js';
import { DOMAIN, LINA, userToken, ZHANGWEI } from './emulator-mail-support.js';

const h = useEmulator();

const mail = () => h.client.mail.v1;

describe('mail groups', () => {
  it('creates a group and gets it by id and by email, with the member count as a string', async () => {
    const created = await mail().mailgroup.create({
      data: {
        email: `ops-team@${DOMAIN}`,
        name: '运维组 Ops',
        description: 'on-call',
        who_can_send_mail: 'ALL_GROUP_MEMBERS',
      },
    });
    expect(created.code).toBe(0);
    expect(created.data).toMatchObject({
      email: `ops-team@${DOMAIN}`,
      name: '运维组 Ops',
      description: 'on-call',
      direct_members_count: '0',
      include_external_member: false,
      include_all_company_member: false,
      who_can_send_mail: 'ALL_GROUP_MEMBERS',
    });
    const id = created.data?.mailgroup_id ?? '';
    const byId = await mail().mailgroup.get({ path: { mailgroup_id: id } });
    const byEmail = await mail().mailgroup.get({ path: { mailgroup_id: `ops-team@${DOMAIN}` } });
    expect(byId.data).toEqual(created.data);
    expect(byEmail.data).toEqual(created.data);
  });

  it('answers 404 / 1234013 for an unknown group', async () => {
    const got = await rejection(mail().mailgroup.get({ path: { mailgroup_id: 'nope' } }));
    expect([got.status, got.code]).toEqual([404, 1234013]);
    expect(got.msg).toContain('nope');
  });

  it('lists groups page by page', async () => {
    for (const n of [1, 2, 3]) await mail().mailgroup.create({ data: { email: `g${n}@${DOMAIN}` } });
    const first = await mail().mailgroup.list({ params: { page_size: 2 } });
    expect(first.data?.items?.map((g) => g.email)).toEqual([`g1@${DOMAIN}`, `g2@${DOMAIN}`]);
    expect(first.data?.has_more).toBe(true);
    const second = await mail().mailgroup.list({ params: { page_size: 2, page_token: first.data?.page_token } });
    expect(second.data?.items?.map((g) => g.email)).toEqual([`g3@${DOMAIN}`]);
    expect(second.data?.has_more).toBe(false);
  });

  it('refuses a user token: mail groups need the tenant token', async () => {
    const token = await userToken(h.emu, ZHANGWEI);
    const got = await rejection(
      mail().mailgroup.create({ data: { email: `x@${DOMAIN}` } }, lark.withUserAccessToken(token)),
    );
    expect([got.status, got.code]).toEqual([400, 99991663]);
  });

  it('adds members of every type and reflects them in the group', async () => {
    const group = (await mail().mailgroup.create({ data: { email: `all@${DOMAIN}` } })).data?.mailgroup_id ?? '';
    await mail().mailgroup.create({ data: { email: `sub@${DOMAIN}` } });
    const one = await mail().mailgroupMember.create({
      path: { mailgroup_id: group },
      data: { type: 'USER', user_id: openIdFor('lina') },
    });
    expect(one.data).toMatchObject({ type: 'USER', user_id: openIdFor('lina') });
    expect(one.data?.member_id).toBeTruthy();
    const batch = await mail().mailgroupMember.batchCreate({
      path: { mailgroup_id: `all@${DOMAIN}` },
      data: {
        items: [
          { type: 'DEPARTMENT', department_id: DEPARTMENTS.ops },
          { type: 'COMPANY' },
          { type: 'EXTERNAL_USER', email: 'partner@vendor.example' },
          { type: 'MAIL_GROUP', email: `sub@${DOMAIN}` },
          { type: 'OTHER_MEMBER', email: `shared@${DOMAIN}` },
        ],
      },
    });
    expect(batch.data?.items?.map((m) => m.type)).toEqual([
      'DEPARTMENT',
      'COMPANY',
      'EXTERNAL_USER',
      'MAIL_GROUP',
      'OTHER_MEMBER',
    ]);
    const after = await mail().mailgroup.get({ path: { mailgroup_id: group } });
    expect(after.data).toMatchObject({
      direct_members_count: '6',
      include_external_member: true,
      include_all_company_member: true,
    });
    const listed = await mail().mailgroupMember.list({
      path: { mailgroup_id: group },
      params: { page_size: 4, user_id_type: 'user_id' },
    });
    expect(listed.data?.items).toHaveLength(4);
    expect(listed.data?.has_more).toBe(true);
    expect(listed.data?.items?.[0]?.user_id).toMatch(/^[0-9a-f]{8}$/);
  });

  it('adds nothing when one batch item is invalid, and names the item', async () => {
    const group = (await mail().mailgroup.create({ data: { email: `b@${DOMAIN}` } })).data?.mailgroup_id ?? '';
    const got = await rejection(
      mail().mailgroupMember.batchCreate({
        path: { mailgroup_id: group },
        data: { items: [{ type: 'COMPANY' }, { type: 'USER', user_id: 'ou_nobody' }] },
      }),
    );
    expect([got.status, got.code]).toEqual([400, 1234008]);
    expect(got.msg).toContain('items[1]');
    expect((await mail().mailgroup.get({ path: { mailgroup_id: group } })).data?.direct_members_count).toBe('0');
  });

  it.each([
    ['no items', [], /1-200/],
    [
      '201 items',
      Array.from({ length: 201 }, (_, i) => ({ type: 'EXTERNAL_USER', email: `p${i}@vendor.example` })),
      /1-200/,
    ],
    ['a USER without user_id', [{ type: 'USER' }], /user_id: required for type USER/],
    ['an unknown type', [{ type: 'ROBOT' }], /type: must be one of/],
    ['a duplicate member', [{ type: 'COMPANY' }, { type: 'COMPANY' }], /already a member/],
  ])('refuses a batch with %s (1234008)', async (_name, items, message) => {
    const group = (await mail().mailgroup.create({ data: { email: `c@${DOMAIN}` } })).data?.mailgroup_id ?? '';
    const got = await rejection(
      mail().mailgroupMember.batchCreate({ path: { mailgroup_id: group }, data: { items: items as never } }),
    );
    expect([got.status, got.code]).toEqual([400, 1234008]);
    expect(got.msg).toMatch(message);
  });

  it('accepts exactly 200 batch items, and refuses members over the group limit with 1234030', async () => {
    const group = (await mail().mailgroup.create({ data: { email: `big@${DOMAIN}` } })).data?.mailgroup_id ?? '';
    const items = Array.from({ length: 200 }, (_, i) => ({
      type: 'EXTERNAL_USER' as const,
      email: `p${i}@vendor.example`,
    }));
    const ok = await mail().mailgroupMember.batchCreate({ path: { mailgroup_id: group }, data: { items } });
    expect(ok.data?.items).toHaveLength(200);
    await control(h.emu, 'mail/limits', { maxMembersPerMailgroup: 200 });
    const got = await rejection(
      mail().mailgroupMember.create({ path: { mailgroup_id: group }, data: { type: 'COMPANY' } }),
    );
    expect([got.status, got.code]).toEqual([400, 1234030]);
  });
});

describe('per-second rate limits of the mail group endpoints', () => {
  // Emulator time nearly stands still, so every call lands in the same one-second window however slow the machine.
  beforeEach(async () => {
    await control(h.emu, 'time', { scale: 0.001 });
  });
  afterAll(async () => {
    await control(h.emu, 'time', { scale: 1 });
  });

  it.each([
    ['mailgroup create', 100, (i: number) => mail().mailgroup.create({ data: { email: `rate${i}@${DOMAIN}` } })],
    [
      'member create',
      50,
      (i: number) =>
        mail().mailgroupMember.create({
          path: { mailgroup_id: `target@${DOMAIN}` },
          data: { type: 'EXTERNAL_USER', email: `m${i}@vendor.example` },
        }),
    ],
    [
      'member batch_create',
      20,
      (i: number) =>
        mail().mailgroupMember.batchCreate({
          path: { mailgroup_id: `target@${DOMAIN}` },
          data: { items: [{ type: 'EXTERNAL_USER', email: `b${i}@vendor.example` }] },
        }),
    ],
  ] as const)('%s: %i calls in a second pass, the next gets 429 / 99991400', async (_name, limit, call) => {
    await mail().mailgroup.create({ data: { email: `target@${DOMAIN}` } });
    const first = limit === 100 ? 1 : 0; // the setup call counts against mailgroup create's own window
    for (let i = first; i < limit; i++) expect((await call(i)).code).toBe(0);
    const got = await rejection(call(limit));
    expect([got.status, got.code, got.headers['x-ogw-ratelimit-limit']]).toEqual([429, 99991400, String(limit)]);
  });
});

describe('mail limits control', () => {
  it('merges successive changes, refuses unknown keys and resets with the emulator', async () => {
    await control(h.emu, 'mail/limits', { maxMailgroups: 1 });
    await control(h.emu, 'mail/limits', { dailySendsPerUser: 2 });
    expect(await control(h.emu, 'mail/limits')).toMatchObject({
      maxMailgroups: 1,
      dailySendsPerUser: 2,
      maxRecipients: 500,
    });
    await expect(control(h.emu, 'mail/limits', { maxRecipient: 5 })).rejects.toThrow(/Unrecognized key/);
    await control(h.emu, 'reset', {});
    expect(await control(h.emu, 'mail/limits')).toMatchObject({ maxMailgroups: 1000, dailySendsPerUser: 10_000 });
  });
});

describe('mail contacts', () => {
  const create = (box: string, data: Record<string, string>, token?: string) =>
    mail().userMailboxMailContact.create(
      { path: { user_mailbox_id: box }, data: data as { name: string } },
      token ? lark.withUserAccessToken(token) : undefined,
    );

  it('creates a contact with a user token on "me" and with the tenant token on an address', async () => {
    const token = await userToken(h.emu, ZHANGWEI);
    const full = {
      name: '张三',
      company: '张三科技有限公司',
      phone: '19912341234',
      mail_address: 'zhangsan@example.com',
      tag: '朋友',
      remark: '飞书发布会认识',
      position: 'CEO',
    };
    const mine = await create('me', full, token);
    expect(mine.data?.mail_contact).toMatchObject(full);
    expect(mine.data?.mail_contact?.id).toMatch(/^\d+$/);
    const byTenant = await create(LINA, { name: 'Li Si' });
    expect(byTenant.data?.mail_contact?.name).toBe('Li Si');
    const state = (await control(h.emu, 'state')) as { mail: { contacts: Record<string, unknown[]> } };
    expect(Object.keys(state.mail.contacts).sort()).toEqual([LINA, ZHANGWEI]);
  });

  const RULES: [string, number][] = [
    ['name', 64],
    ['company', 64],
    ['phone', 40],
    ['mail_address', 319],
    ['tag', 64],
    ['remark', 1000],
    ['position', 64],
  ];

  it.each(RULES)(
    'accepts %s at %i characters and refuses one more with 1230001 naming the field',
    async (field, max) => {
      const at = { name: 'n', [field]: '字'.repeat(max) };
      expect((await create(LINA, at)).code).toBe(0);
      const got = await rejection(create(LINA, { name: 'n', [field]: '字'.repeat(max + 1) }));
      expect([got.status, got.code]).toEqual([400, 1230001]);
      expect(got.msg).toContain(field);
    },
  );

  it('refuses an empty name and a missing name', async () => {
    for (const data of [{ name: '' }, {}]) {
      const got = await rejection(create(LINA, data as Record<string, string>));
      expect([got.code, got.msg.includes('name')]).toEqual([1230001, true]);
    }
  });

  it('refuses "me" with the tenant token and an unknown mailbox (1230001)', async () => {
    for (const box of ['me', `nobody@${DOMAIN}`]) {
      const got = await rejection(create(box, { name: 'x' }));
      expect([got.status, got.code]).toEqual([400, 1230001]);
    }
  });

  it("refuses a user token on another user's mailbox (403 / 1230002)", async () => {
    const got = await rejection(create(LINA, { name: 'x' }, await userToken(h.emu, ZHANGWEI)));
    expect([got.status, got.code]).toEqual([403, 1230002]);
  });

  it('allows 20 contacts a minute and answers the 21st with 429 / 99991400 and the rate headers', async () => {
    for (let i = 0; i < 20; i++) expect((await create(LINA, { name: `c${i}` })).code).toBe(0);
    const got = await rejection(create(LINA, { name: 'one too many' }));
    expect([got.status, got.code]).toEqual([429, 99991400]);
    expect(got.headers['x-ogw-ratelimit-limit']).toBe('20');
    expect(Number(got.headers['x-ogw-ratelimit-reset'])).toBeGreaterThan(0);
    await control(h.emu, 'time', { advanceSeconds: 61 });
    expect((await create(LINA, { name: 'next minute' })).code).toBe(0);
  });
});
