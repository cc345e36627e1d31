import { describe, expect, it } from 'vitest';
import { successCard } from '../cards/index.js';
import { FeishuError, NETWORK_ERROR } from '../src/feishu/errors.js';
import { createFeishu, type ClientOptions } from '../src/feishu/index.js';
import { asUser } from '../src/feishu/ports.js';
import { createMetrics } from '../src/metrics.js';
import { control, feishuRejection as rejection, useEmulator } from './helpers/emulator.js';
import { EmulatorUserTokens } from './helpers/user-tokens.js';

const h = useEmulator();

const calls = async (path: string) =>
  (await control(h.emu, `calls?path=${encodeURIComponent(path)}`)).calls as {
    path: string;
    code?: number;
    status: number;
    body: unknown;
  }[];

/** A gateway on the emulator whose backoff sleeps are recorded, not waited for. */
function gateway(extra: Partial<ClientOptions> = {}) {
  const slept: number[] = [];
  const metrics = createMetrics();
  const tokens = new EmulatorUserTokens(h.emu);
  const gw = createFeishu({
    userTokens: tokens,
    appId: h.emu.state.app.appId,
    appSecret: h.emu.state.app.appSecret,
    domain: h.emu.url,
    metrics,
    sleep: async (ms) => {
      slept.push(ms);
    },
    random: () => 0.5,
    ...extra,
  });
  return { gw, slept, metrics, tokens };
}

const user = (key: string) => {
  const u = h.emu.state.users.find((x) => x.enterprise_email.startsWith(`${key}@`));
  if (!u) throw new Error(`no seeded user ${key}`);
  return u;
};
const as = (key: string) => asUser(user(key).open_id);

const eml = (from: string, to: string, subject: string) =>
  [
    `From: ${from}`,
    `To: ${to}`,
    `Subject: ${subject}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Hello from the gateway test.',
    '',
  ].join('\r\n');

const counted = async (metrics: ReturnType<typeof createMetrics>, endpoint: string, code: number) => {
  const m = await metrics.openApiCalls.get();
  return m.values.find((v) => v.labels.endpoint === endpoint && v.labels.code === String(code))?.value ?? 0;
};

describe('gateway: success paths over the emulator', () => {
  it('reads the bot identity', async () => {
    const { gw } = gateway();
    await expect(gw.im.botInfo()).resolves.toEqual({
      openId: h.emu.state.app.botOpenId,
      name: h.emu.state.app.appName,
    });
  });

  it('creates a mail group and adds 250 members in batches of at most 200', async () => {
    const { gw } = gateway();
    const { mailgroupId, email } = await gw.mailgroups.create({
      email: `ops-team@${h.emu.state.app.mailDomain}`,
      name: '运维组',
    });
    expect(email).toBe(`ops-team@${h.emu.state.app.mailDomain}`);
    const members = Array.from({ length: 250 }, (_, i) => ({
      type: 'EXTERNAL_USER' as const,
      email: `guest${i}@partner.example`,
    }));
    const { memberIds } = await gw.mailgroups.addMembers(mailgroupId, members);
    expect(memberIds).toHaveLength(250);
    const batches = await calls(`/open-apis/mail/v1/mailgroups/${mailgroupId}/members/batch_create`);
    expect(batches.map((c) => (c.body as { items: unknown[] }).items.length)).toEqual([200, 50]);
  });

  it('creates a mail contact with the tenant token and with a user token', async () => {
    const { gw } = gateway();
    const mailbox = user('zhangwei').enterprise_email;
    const a = await gw.mailbox.createContact(mailbox, { name: '外部伙伴', mailAddress: 'partner@partner.example' });
    const b = await gw.mailbox.createContact(mailbox, { name: 'Other' }, { as: as('zhangwei') });
    expect(a.contactId).toBeTruthy();
    expect(b.contactId).not.toBe(a.contactId);
  });

  it('creates, updates, reads and sends a draft, and sends a mail, with a user token', async () => {
    const { gw } = gateway();
    const me = user('zhangwei').enterprise_email;
    const to = user('lina').enterprise_email;
    const author = as('zhangwei');
    const { draftId } = await gw.mailbox.createDraft(me, eml(me, to, 'First'), { as: author });
    await gw.mailbox.updateDraft(me, draftId, eml(me, to, 'Second'), { as: author });
    const draft = await gw.mailbox.getDraft(me, draftId, { as: author });
    expect(draft).toMatchObject({ id: draftId, subject: 'Second' });
    const sent = await gw.mailbox.sendDraft(me, draftId, { as: author });
    expect(sent.messageId).toBeTruthy();
    const mail = await gw.mailbox.sendMail(
      me,
      { subject: 'Direct', to: [{ mail_address: to }], body_plain_text: 'hi' },
      { as: author },
    );
    expect(mail.messageId).toBeTruthy();
  });
});

describe('gateway: failures', () => {
  it('turns a non-2xx answer into a FeishuError with code, status and log id', async () => {
    const { gw } = gateway();
    await gw.mailgroups.create({ email: `dup@${h.emu.state.app.mailDomain}` });
    const e = await rejection(gw.mailgroups.create({ email: `dup@${h.emu.state.app.mailDomain}` }));
    expect(e).toMatchObject({ code: 1234006, httpStatus: 409, endpoint: 'mailgroup.create', retryable: false });
    expect(e.logId).toBeTruthy();
    expect(e.explain().problem.zh_cn).toContain('已被占用');
  });

  it('retries a retryable code injected for the next 2 calls, then succeeds', async () => {
    const { gw, slept, metrics } = gateway();
    // A 429, which Feishu never performed: after a 5xx the gateway would look the group up first (gateway-reconcile.test.ts).
    await control(h.emu, 'faults', { pathPrefix: '/open-apis/mail/v1/mailgroups', code: 99991400, count: 2 });
    await gw.mailgroups.create({ email: `retry@${h.emu.state.app.mailDomain}` });
    const tries = await calls('/open-apis/mail/v1/mailgroups');
    expect(tries.map((c) => c.code)).toEqual([99991400, 99991400, 0]);
    expect(slept).toHaveLength(2);
    expect(slept[1]).toBeGreaterThan(slept[0] ?? Infinity);
    expect(await counted(metrics, 'mailgroup.create', 99991400)).toBe(2);
    expect(await counted(metrics, 'mailgroup.create', 0)).toBe(1);
  });

  it('retries a chat create with the same uuid, so a retry cannot make a second chat', async () => {
    const { gw } = gateway();
    await control(h.emu, 'faults', { pathPrefix: '/open-apis/im/v1/chats', drop: true, count: 1 });
    const { chatId } = await gw.chats.create({ name: '重试群', userIds: [user('zhangwei').open_id] });
    const tries = await calls('/open-apis/im/v1/chats');
    const uuids = tries.map((c) => (c as unknown as { query: { uuid?: string } }).query.uuid);
    expect(uuids).toHaveLength(2);
    expect(uuids[0]).toBeTruthy();
    expect(uuids[1]).toBe(uuids[0]);
    expect([...h.emu.state.chats.values()].filter((c) => c.name === '重试群').map((c) => c.chatId)).toEqual([chatId]);
  });

  it('does not retry a non-retryable code', async () => {
    const { gw, slept } = gateway();
    await control(h.emu, 'faults', { pathPrefix: '/open-apis/mail/v1/mailgroups', code: 1234030, count: 2 });
    const e = await rejection(gw.mailgroups.create({ email: `once@${h.emu.state.app.mailDomain}` }));
    expect(e.code).toBe(1234030);
    expect(await calls('/open-apis/mail/v1/mailgroups')).toHaveLength(1);
    expect(slept).toEqual([]);
  });

  it('gives up after the last attempt and reports the retryable error', async () => {
    const { gw } = gateway({ maxAttempts: 3 });
    await control(h.emu, 'faults', { pathPrefix: '/open-apis/mail/v1/mailgroups', code: 99991400 });
    const e = await rejection(gw.mailgroups.create({ email: `never@${h.emu.state.app.mailDomain}` }));
    expect(e).toMatchObject({ code: 99991400, httpStatus: 429, retryable: true });
    expect(await calls('/open-apis/mail/v1/mailgroups')).toHaveLength(3);
  });

  it('waits at least x-ogw-ratelimit-reset after a 429', async () => {
    await control(h.emu, 'limits', { route: 'POST /open-apis/mail/v1/mailgroups', perMinute: 1 });
    const slept: number[] = [];
    // Our own limiter is set far above the emulator's, so the second call meets the server's 429.
    const { gw } = gateway({
      rateLimits: { 'mailgroup.create': { perSecond: 100 } },
      sleep: async (ms) => {
        slept.push(ms);
        await control(h.emu, 'time', { advanceSeconds: ms / 1000 });
      },
    });
    await gw.mailgroups.create({ email: `a@${h.emu.state.app.mailDomain}` });
    await gw.mailgroups.create({ email: `b@${h.emu.state.app.mailDomain}` });
    const tries = await calls('/open-apis/mail/v1/mailgroups');
    expect(tries.map((c) => c.status)).toEqual([200, 429, 200]);
    expect(slept[0]).toBeGreaterThanOrEqual(1000);
  });

  it('refreshes the tenant token once when Feishu says it expired (99991663)', async () => {
    const { gw } = gateway();
    await gw.im.botInfo();
    // Two hours later the emulator rejects the token the SDK still holds in its cache.
    await control(h.emu, 'time', { advanceSeconds: 7300 });
    await expect(gw.im.botInfo()).resolves.toMatchObject({ openId: h.emu.state.app.botOpenId });
    expect((await calls('/open-apis/auth/v3/tenant_access_token/internal')).length).toBe(2);
    expect((await calls('/open-apis/bot/v3/info')).map((c) => c.code)).toEqual([0, 99991663, 0]);
  });

  it('refreshes only once when the token keeps being refused', async () => {
    const { gw } = gateway();
    await control(h.emu, 'faults', { pathPrefix: '/open-apis/bot/v3/info', code: 99991663 });
    const e = await rejection(gw.im.botInfo());
    expect(e.code).toBe(99991663);
    expect(await calls('/open-apis/bot/v3/info')).toHaveLength(2);
  });

  it('retries a dropped connection as a network error', async () => {
    const { gw } = gateway();
    await control(h.emu, 'faults', { pathPrefix: '/open-apis/bot/v3/info', drop: true, count: 1 });
    await expect(gw.im.botInfo()).resolves.toMatchObject({ openId: h.emu.state.app.botOpenId });
    const { gw: once } = gateway({ maxAttempts: 1 });
    await control(h.emu, 'faults', { pathPrefix: '/open-apis/bot/v3/info', drop: true, count: 1 });
    expect((await rejection(once.im.botInfo())).code).toBe(NETWORK_ERROR);
  });

  it('times out a request that hangs', async () => {
    const { gw } = gateway({ timeoutMs: 100, maxAttempts: 1 });
    await gw.im.botInfo();
    await control(h.emu, 'faults', { pathPrefix: '/open-apis/bot/v3/info', latencyMs: 1000, count: 1 });
    const e = await rejection(gw.im.botInfo());
    expect(e.code).toBe(NETWORK_ERROR);
    expect(e.msg).toMatch(/ECONNABORTED|timeout/i);
  });
});

describe('gateway: limits and serialisation', () => {
  it('sends two mails from one mailbox one after the other, so Feishu never sees them overlap', async () => {
    const me = user('lina').enterprise_email;
    const author = as('lina');
    const body = { subject: 'x', to: [{ mail_address: user('zhangwei').enterprise_email }], body_plain_text: 'x' };
    // Without serialisation (two gateways) the emulator refuses the overlap with 1236006.
    const [a, b] = [gateway({ maxAttempts: 1 }).gw, gateway({ maxAttempts: 1 }).gw];
    const unserialised = await Promise.allSettled([
      a.mailbox.sendMail(me, body, { as: author }),
      b.mailbox.sendMail(me, body, { as: author }),
    ]);
    expect(unserialised.some((r) => r.status === 'rejected' && (r.reason as FeishuError).code === 1236006)).toBe(true);
    const { gw } = gateway({ maxAttempts: 1 });
    const results = await Promise.all([
      gw.mailbox.sendMail(me, body, { as: author }),
      gw.mailbox.sendMail(me, body, { as: author }),
    ]);
    expect(new Set(results.map((r) => r.messageId)).size).toBe(2);
  });

  it('keeps a burst under the emulator limit by waiting', async () => {
    // 5 mail contacts a minute on both sides, and both clocks 60× faster: a minute of quota is one real second.
    await control(h.emu, 'limits', {
      route: 'POST /open-apis/mail/v1/user_mailboxes/:user_mailbox_id/mail_contacts',
      perMinute: 5,
    });
    await control(h.emu, 'time', { scale: 60 });
    try {
      const { gw } = gateway({
        maxAttempts: 1,
        rateLimits: { 'mail.contact.create': { perMinute: 5 } },
        now: () => Date.now() * 60,
        sleep: (ms) => new Promise((r) => setTimeout(r, ms / 60)),
      });
      const mailbox = user('wangfang').enterprise_email;
      await gw.im.botInfo(); // fetch the tenant token first, so every contact call has the same latency
      const made = await Promise.all(
        Array.from({ length: 7 }, (_, i) => gw.mailbox.createContact(mailbox, { name: `c${i}` })),
      );
      expect(made).toHaveLength(7);
      const log = await calls('/open-apis/mail/v1/user_mailboxes/');
      expect(log.filter((c) => c.status === 429)).toEqual([]);
      expect(log).toHaveLength(7);
    } finally {
      await control(h.emu, 'time', { scale: 1 });
    }
  });
});

describe('gateway: messages and cards', () => {
  const card = successCard({ title: { zh_cn: '完成', en_us: 'Done', ja_jp: 'Done' } });

  it('sends, replies to and patches a card, and updates it by callback token', async () => {
    const { gw } = gateway();
    const openId = user('zhangwei').open_id;
    const sent = await gw.im.sendCard({ openId }, card, { uuid: 'u-1' });
    const again = await gw.im.sendCard({ openId }, card, { uuid: 'u-1' });
    expect(again.messageId).toBe(sent.messageId);
    const reply = await gw.im.replyCard(sent.messageId, card);
    expect(reply.messageId).not.toBe(sent.messageId);
    await gw.im.patchCard(
      sent.messageId,
      successCard({ title: { zh_cn: '已更新', en_us: 'Updated', ja_jp: 'Updated' } }),
    );
    expect(h.emu.state.messages.get(sent.messageId)?.content).toContain('已更新');
    const token = h.emu.state.issueCardToken(sent.messageId);
    await gw.im.updateCardByToken(
      token,
      successCard({ title: { zh_cn: '再次更新', en_us: 'Updated again', ja_jp: 'Updated again' } }),
    );
    expect(h.emu.state.messages.get(sent.messageId)?.content).toContain('再次更新');
  });

  it('creates a chat, adds members, and looks users up', async () => {
    const { gw } = gateway();
    const [a, b] = [user('zhangwei'), user('lina')];
    const chat = await gw.chats.create({ name: '运维群', userIds: [a.open_id] }, { uuid: 'chat-1' });
    expect(chat.chatId).toMatch(/^oc_/);
    const added = await gw.chats.addMembers(chat.chatId, [b.open_id]);
    expect(added.invalidIds).toEqual([]);
    expect(h.emu.state.chats.get(chat.chatId)?.members.has(b.open_id)).toBe(true);
    await expect(gw.directory.getUser(a.open_id)).resolves.toMatchObject({ openId: a.open_id, name: a.name });
    const ids = await gw.directory.openIdsByEmail([a.email, 'nobody@example.com']);
    expect(ids.get(a.email)).toBe(a.open_id);
    expect(ids.get('nobody@example.com')).toBeUndefined();
    const t = await gw.im.sendText({ chatId: chat.chatId }, 'hi');
    expect(t.messageId).toMatch(/^om_/);
  });
});
