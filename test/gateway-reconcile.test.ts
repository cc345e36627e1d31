/**
 * Creates without an idempotency key (mail groups, mail contacts): after an attempt whose answer was lost the
 * gateway looks the object up before creating again, so each create happens exactly once.
 */
import { describe, expect, it } from 'vitest';
import { createFeishu, type ClientOptions } from '../src/feishu/index.js';
import { asUser } from '../src/feishu/ports.js';
import { control, feishuRejection as rejection, useEmulator } from './helpers/emulator.js';
import { mailState } from './helpers/provisioning.js';
import { EmulatorUserTokens } from './helpers/user-tokens.js';

const h = useEmulator();

interface LoggedCall {
  method: string;
  path: string;
  code?: number;
  status: number;
}
const calls = async (path: string) =>
  ((await control(h.emu, `calls?path=${encodeURIComponent(path)}`)).calls as LoggedCall[]).map(
    (c) => `${c.method} ${c.status} ${c.code ?? '-'}`,
  );

const MG = '/open-apis/mail/v1/mailgroups';
const domain = () => h.emu.state.app.mailDomain;
const mailbox = () => `lina@${domain()}`;
const CONTACTS = () => `/open-apis/mail/v1/user_mailboxes/${mailbox()}/mail_contacts`;
const fault = (f: Record<string, unknown>) => control(h.emu, 'faults', { count: 1, ...f });

/** Backoff sleeps are recorded, not waited for; a short timeout makes a delayed answer a lost one. */
function gateway(extra: Partial<ClientOptions> = {}) {
  const slept: number[] = [];
  const gw = createFeishu({
    userTokens: new EmulatorUserTokens(h.emu),
    appId: h.emu.state.app.appId,
    appSecret: h.emu.state.app.appSecret,
    domain: h.emu.url,
    timeoutMs: 150,
    sleep: async (ms) => {
      slept.push(ms);
    },
    random: () => 0.5,
    ...extra,
  });
  return { gw, slept };
}

describe('mail group create with a lost answer', () => {
  it('finds the group a dropped answer had created, instead of meeting "address in use"', async () => {
    const { gw } = gateway();
    await fault({ pathPrefix: MG, dropAfter: true });
    const made = await gw.mailgroups.create({ email: `lost@${domain()}`, name: '丢失的应答' });
    const groups = mailState(h.emu).mailgroups;
    expect(groups.map((g) => g.mailgroup_id)).toEqual([made.mailgroupId]);
    expect(made).toMatchObject({ email: `lost@${domain()}`, adopted: true });
    expect(await calls(MG)).toEqual(['POST 0 -', 'GET 200 0']);
  });

  it('finds the group when the answer came after the client timeout', async () => {
    const { gw } = gateway();
    await fault({ pathPrefix: MG, latencyAfterMs: 400 });
    const made = await gw.mailgroups.create({ email: `slow@${domain()}`, whoCanSendMail: 'ALL_GROUP_MEMBERS' });
    expect(made.adopted).toBe(true);
    expect(mailState(h.emu).mailgroups.map((g) => g.mailgroup_id)).toEqual([made.mailgroupId]);
    expect((await calls(MG)).filter((c) => c.startsWith('POST'))).toHaveLength(1);
  });

  it('creates again when the lookup, made settleMs after the unanswered attempt, shows it never landed', async () => {
    const { gw, slept } = gateway({ settleMs: 1000 });
    await fault({ pathPrefix: MG, drop: true });
    const made = await gw.mailgroups.create({ email: `never@${domain()}` });
    expect(made.adopted).toBe(false);
    expect(slept).toEqual([1000]);
    expect(mailState(h.emu).mailgroups).toHaveLength(1);
    expect(await calls(MG)).toEqual(['POST 0 -', 'GET 404 1234013', 'POST 200 0']);
  });

  it('looks after a 5xx too (without waiting to settle: Feishu has answered), but not after a 429, which it never performed', async () => {
    const { gw, slept } = gateway({ settleMs: 1000 });
    await fault({ pathPrefix: MG, code: 1236019 });
    await gw.mailgroups.create({ email: `five@${domain()}` });
    await fault({ pathPrefix: MG, code: 99991400 });
    await gw.mailgroups.create({ email: `four@${domain()}` });
    expect(await calls(MG)).toEqual([
      'POST 500 1236019',
      'GET 404 1234013',
      'POST 200 0',
      'POST 429 99991400',
      'POST 200 0',
    ]);
    expect(slept).toHaveLength(2);
    expect(slept.every((ms) => ms < 1000)).toBe(true);
  });

  it('takes "address in use" after a lost answer as its own group once a lookup confirms it', async () => {
    const { gw } = gateway();
    await fault({ pathPrefix: MG, dropAfter: true });
    // The first lookup lags behind the create, as a replica might.
    await fault({ pathPrefix: `${MG}/stale@`, code: 1234013 });
    const made = await gw.mailgroups.create({ email: `stale@${domain()}`, name: '滞后' });
    expect(made.adopted).toBe(true);
    expect(mailState(h.emu).mailgroups.map((g) => g.mailgroup_id)).toEqual([made.mailgroupId]);
    expect(await calls(MG)).toEqual(['POST 0 -', 'GET 404 1234013', 'POST 409 1234006', 'GET 200 0']);
  });

  it('does not adopt a group someone else made with the same address and another name', async () => {
    const { gw } = gateway();
    await gw.mailgroups.create({ email: `taken@${domain()}`, name: '别人的组' });
    await fault({ pathPrefix: MG, drop: true });
    const e = await rejection(gw.mailgroups.create({ email: `taken@${domain()}`, name: '我的组' }));
    expect(e.code).toBe(1234006);
    expect(mailState(h.emu).mailgroups.map((g) => g.name)).toEqual(['别人的组']);
  });

  it('looks before giving up when the last attempt went unanswered', async () => {
    const { gw } = gateway({ maxAttempts: 1 });
    await fault({ pathPrefix: MG, dropAfter: true });
    await expect(gw.mailgroups.create({ email: `last@${domain()}` })).resolves.toMatchObject({ adopted: true });
    await fault({ pathPrefix: MG, drop: true });
    expect((await rejection(gw.mailgroups.create({ email: `gone@${domain()}` }))).code).toBe(-1);
    expect(mailState(h.emu).mailgroups.map((g) => g.email)).toEqual([`last@${domain()}`]);
  });

  it('with mayExist (a resumed run) adopts a matching group without calling create, and creates a missing one', async () => {
    const { gw } = gateway();
    const first = await gw.mailgroups.create({ email: `resume@${domain()}`, name: '续跑' });
    await expect(
      gw.mailgroups.create({ email: `resume@${domain()}`, name: '续跑' }, { mayExist: true }),
    ).resolves.toEqual({ ...first, adopted: true });
    await expect(gw.mailgroups.create({ email: `fresh@${domain()}` }, { mayExist: true })).resolves.toMatchObject({
      adopted: false,
    });
    expect((await calls(MG)).filter((c) => c.startsWith('POST'))).toHaveLength(2);
  });
});

describe('mail group members with a lost answer', () => {
  it('finds the members a dropped batch_create had added, instead of meeting "already a member"', async () => {
    const { gw } = gateway();
    const { mailgroupId } = await gw.mailgroups.create({ email: `members@${domain()}` });
    const users = h.emu.state.users.filter((u) => !u.resigned && !u.invisible).slice(0, 2);
    await fault({ pathPrefix: `${MG}/${mailgroupId}/members/batch_create`, dropAfter: true });
    const { memberIds } = await gw.mailgroups.addMembers(
      mailgroupId,
      users.map((u) => ({ type: 'USER' as const, userId: u.open_id })),
    );
    const group = mailState(h.emu).mailgroups[0];
    expect(group?.members.map((m) => m.openId)).toEqual(users.map((u) => u.open_id));
    expect(memberIds).toEqual((group?.members as unknown as { member_id: string }[]).map((m) => m.member_id));
    expect(await calls(`${MG}/${mailgroupId}/members`)).toEqual(['POST 0 -', 'GET 200 0']);
  });
});

describe('a create still running on Feishu when the client gives up', () => {
  const realGateway = (settleMs: number) =>
    gateway({ sleep: (ms) => new Promise((r) => setTimeout(r, ms)), backoffBaseMs: 10, settleMs });

  it('waits settleMs before looking, so the late create is found and not repeated', async () => {
    const { gw } = realGateway(300);
    await fault({ pathPrefix: CONTACTS(), latencyMs: 250 });
    const made = await gw.mailbox.createContact(mailbox(), { name: '迟到' });
    expect(made.adopted).toBe(true);
    expect((mailState(h.emu).contacts[mailbox()] ?? []).map((c) => c.id)).toEqual([made.contactId]);
  });

  it('makes a second contact when it looks before the late create has landed (why settleMs exists)', async () => {
    const { gw } = realGateway(0);
    await fault({ pathPrefix: CONTACTS(), latencyMs: 250 });
    expect((await gw.mailbox.createContact(mailbox(), { name: '迟到' })).adopted).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    expect(mailState(h.emu).contacts[mailbox()]).toHaveLength(2);
  });
});

describe('mail contact create with a lost answer', () => {
  const contacts = () => mailState(h.emu).contacts[mailbox()] ?? [];

  it('finds the contact a dropped answer had created by listing the mailbox', async () => {
    const { gw } = gateway();
    await gw.mailbox.createContact(mailbox(), { name: '王五', mailAddress: 'other@example.com' });
    await fault({ pathPrefix: CONTACTS(), dropAfter: true });
    const made = await gw.mailbox.createContact(mailbox(), {
      name: '王五',
      mailAddress: 'Wangwu@Example.com',
      company: '五金',
    });
    expect(made.adopted).toBe(true);
    expect(contacts().map((c) => [c.id, c.mail_address])).toEqual([
      [expect.any(String), 'other@example.com'],
      [made.contactId, 'Wangwu@Example.com'],
    ]);
    expect(await calls(CONTACTS())).toEqual(['POST 200 0', 'POST 0 -', 'GET 200 0']);
  });

  it('finds it with the user token the create used, across pages', async () => {
    const lina = h.emu.state.users.find((u) => u.enterprise_email === mailbox())!;
    const { gw } = gateway({ rateLimits: { 'mail.contact.create': { perMinute: 100 } } });
    await control(h.emu, 'limits', {
      route: 'POST /open-apis/mail/v1/user_mailboxes/:user_mailbox_id/mail_contacts',
      perMinute: 100,
    });
    for (let i = 0; i < 55; i++) await gw.mailbox.createContact(mailbox(), { name: `c${i}` });
    await fault({ pathPrefix: CONTACTS(), latencyAfterMs: 400 });
    const made = await gw.mailbox.createContact(
      mailbox(),
      { name: '赵六', phone: '13800000000' },
      { as: asUser(lina.open_id) },
    );
    expect(made.adopted).toBe(true);
    expect(contacts()).toHaveLength(56);
    expect(contacts().at(-1)?.id).toBe(made.contactId);
    const lists = (await control(h.emu, `calls?path=${encodeURIComponent(CONTACTS())}`)).calls as {
      method: string;
      caller: string;
      query: { page_size?: string };
    }[];
    const gets = lists.filter((c) => c.method === 'GET');
    expect(gets.map((c) => [c.caller, c.query.page_size])).toEqual([
      [`user:${lina.open_id}`, '50'],
      [`user:${lina.open_id}`, '50'],
    ]);
  });

  it('creates again when no contact with exactly those fields exists', async () => {
    const { gw } = gateway();
    await gw.mailbox.createContact(mailbox(), { name: '孙七', mailAddress: 'sun@example.com', tag: '旧' });
    await fault({ pathPrefix: CONTACTS(), drop: true });
    const made = await gw.mailbox.createContact(mailbox(), { name: '孙七', mailAddress: 'sun@example.com' });
    expect(made.adopted).toBe(false);
    expect(contacts()).toHaveLength(2);
    expect(await calls(CONTACTS())).toEqual(['POST 200 0', 'POST 0 -', 'GET 200 0', 'POST 200 0']);
  });

  it('with mayExist (a resumed run) adopts the matching contact without calling create', async () => {
    const { gw } = gateway();
    const first = await gw.mailbox.createContact(mailbox(), { name: '周八' });
    await expect(gw.mailbox.createContact(mailbox(), { name: '周八' }, { mayExist: true })).resolves.toEqual({
      contactId: first.contactId,
      adopted: true,
    });
    expect(contacts()).toHaveLength(1);
  });
});
