/**
 * Every error code of the four mail pages, reached through the official SDK: by its real trigger where the
 * emulator has one, by fault injection otherwise. Each case asserts the documented HTTP status and code.
 */
import * as lark from '@larksuiteoapi/node-sdk';
import { beforeEach, describe, expect, it } from 'vitest';
import { codeInfo, DOC_CODES, type DocPage } from '../src/emulator/codes.js';
import { control, rejection, useEmulator } from './helpers/emulator.js';
import { DOMAIN, LINA, rawMail, userToken, ZHANGWEI } from './emulator-mail-support.js';

type Page = Exclude<DocPage, 'im-chat-create'>;

interface Case {
  page: Page;
  code: number;
  how: 'real' | 'fault';
  title: string;
  run: () => Promise<unknown>;
}

const h = useEmulator();
let zw: ReturnType<typeof lark.withUserAccessToken>;
let ln: ReturnType<typeof lark.withUserAccessToken>;

beforeEach(async () => {
  zw = lark.withUserAccessToken(await userToken(h.emu, ZHANGWEI));
  ln = lark.withUserAccessToken(await userToken(h.emu, LINA));
});

const mail = () => h.client.mail.v1;
const limits = (patch: Record<string, number>) => control(h.emu, 'mail/limits', patch);
const fault = (code: number, page: Page, pathPrefix: string) =>
  control(h.emu, 'faults', { code, page, count: 1, pathPrefix });

const send = (data: object, who = zw, box = 'me') =>
  mail().userMailboxMessage.send({ path: { user_mailbox_id: box }, data }, who);
const sendRaw = async (raw: Promise<string> | string, who = zw, box = 'me') => send({ raw: await raw }, who, box);
const toExternal = (n: number) => Array.from({ length: n }, (_, i) => ({ mail_address: `partner${i}@vendor.example` }));

async function draft(raw: Promise<string> | string, who = zw): Promise<string> {
  const res = await mail().userMailboxDraft.create({ path: { user_mailbox_id: 'me' }, data: { raw: await raw } }, who);
  return res.data?.draft?.id ?? '';
}
const sendDraft = (id: string, who = zw, box = 'me', data: { send_time?: string } = {}) =>
  mail().userMailboxDraft.send({ path: { user_mailbox_id: box, draft_id: id }, data }, who);

const many = (n: number, prefix = 'r') => Array.from({ length: n }, (_, i) => `${prefix}${i}@vendor.example`);
const attachments = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ filename: `a${i}.txt`, content: `attachment ${i}` }));

/** Two sends for one mailbox at once: the kit's per-mailbox lock answers the later one with 1236006. */
async function concurrently(calls: (() => Promise<unknown>)[]): Promise<unknown> {
  const results = await Promise.allSettled(calls.map((c) => c()));
  const rejected = results.find((r) => r.status === 'rejected');
  expect(results.some((r) => r.status === 'fulfilled')).toBe(true);
  if (!rejected) throw new Error('no concurrent call was refused');
  throw rejected.reason;
}

const MG: Page = 'mail-mailgroup-create';
const MC: Page = 'mail-contact-create';
const MS: Page = 'mail-message-send';
const DS: Page = 'mail-draft-send';
const SEND_PATH = '/open-apis/mail/v1/user_mailboxes/me/messages/send';

const cases: Case[] = [
  // Feishu "创建邮件组"
  {
    page: MG,
    code: 1234019,
    how: 'real',
    title: 'an address outside the tenant mail domain',
    run: () => mail().mailgroup.create({ data: { email: 'ops@elsewhere.example' } }),
  },
  {
    page: MG,
    code: 1234006,
    how: 'real',
    title: 'an address another mail group uses',
    run: async () => {
      await mail().mailgroup.create({ data: { email: `ops@${DOMAIN}` } });
      return mail().mailgroup.create({ data: { email: `OPS@${DOMAIN}` } });
    },
  },
  {
    page: MG,
    code: 1234008,
    how: 'real',
    title: 'an unknown who_can_send_mail',
    run: () => mail().mailgroup.create({ data: { email: `x@${DOMAIN}`, who_can_send_mail: 'EVERYONE' as 'ANYONE' } }),
  },
  {
    page: MG,
    code: 1234030,
    how: 'real',
    title: 'one group over the tenant group limit',
    run: async () => {
      await limits({ maxMailgroups: 1 });
      await mail().mailgroup.create({ data: { email: `a@${DOMAIN}` } });
      return mail().mailgroup.create({ data: { email: `b@${DOMAIN}` } });
    },
  },
  {
    page: MG,
    code: 1234033,
    how: 'real',
    title: "a user's login mailbox",
    run: () => mail().mailgroup.create({ data: { email: ZHANGWEI } }),
  },
  // Feishu "创建邮箱联系人"
  {
    page: MC,
    code: 1230001,
    how: 'real',
    title: 'a 65-character name',
    run: () =>
      mail().userMailboxMailContact.create({ path: { user_mailbox_id: 'me' }, data: { name: 'x'.repeat(65) } }, zw),
  },
  {
    page: MC,
    code: 1230002,
    how: 'real',
    title: "a tenant token on a mailbox outside the app's data scope",
    run: () =>
      mail().userMailboxMailContact.create({
        path: { user_mailbox_id: `huangqiang@${DOMAIN}` },
        data: { name: '张三' },
      }),
  },
  {
    page: MC,
    code: 1230003,
    how: 'fault',
    title: 'an internal error',
    run: async () => {
      await fault(1230003, MC, '/open-apis/mail/v1/user_mailboxes/');
      return mail().userMailboxMailContact.create({ path: { user_mailbox_id: 'me' }, data: { name: '张三' } }, zw);
    },
  },
  // Feishu "发送邮件"
  {
    page: MS,
    code: 1234013,
    how: 'real',
    title: 'a mailbox that does not exist',
    run: () => send({ to: [{ mail_address: LINA }] }, zw, `nobody@${DOMAIN}`),
  },
  {
    page: MS,
    code: 1234017,
    how: 'real',
    title: "another user's mailbox",
    run: () => send({ to: [{ mail_address: ZHANGWEI }] }, zw, LINA),
  },
  {
    page: MS,
    code: 1234008,
    how: 'real',
    title: 'a recipient that is not an address',
    run: () => send({ to: [{ mail_address: 'not-an-address' }] }),
  },
  {
    page: MS,
    code: 1236001,
    how: 'real',
    title: 'raw over the size limit',
    run: async () => {
      await limits({ maxRawBytes: 200 });
      return sendRaw(rawMail(ZHANGWEI, LINA));
    },
  },
  {
    page: MS,
    code: 1236006,
    how: 'real',
    title: 'two concurrent sends for one mailbox',
    run: () =>
      concurrently([
        () => send({ to: [{ mail_address: LINA }] }),
        () => send({ to: [{ mail_address: LINA }] }, zw, ZHANGWEI),
      ]),
  },
  {
    page: MS,
    code: 1236002,
    how: 'real',
    title: 'raw that is not MIME',
    run: () => sendRaw(Buffer.from('hello, this is no email').toString('base64url')),
  },
  {
    page: MS,
    code: 1236003,
    how: 'real',
    title: '501 recipients',
    run: () => send({ to: many(501).map((mail_address) => ({ mail_address })) }),
  },
  {
    page: MS,
    code: 1236004,
    how: 'real',
    title: '501 attachments',
    run: () =>
      send({
        to: [{ mail_address: LINA }],
        attachments: Array.from({ length: 501 }, (_, i) => ({ filename: `a${i}.txt`, body: 'aGk' })),
      }),
  },
  {
    page: MS,
    code: 1236005,
    how: 'real',
    title: 'a Message-ID already sent',
    run: async () => {
      const raw = await rawMail(ZHANGWEI, LINA, { messageId: '<once@feishu-ops.example>' });
      await sendRaw(raw);
      return sendRaw(raw);
    },
  },
  {
    page: MS,
    code: 1236007,
    how: 'real',
    title: 'the daily send quota',
    run: async () => {
      await limits({ dailySendsPerUser: 1 });
      await send({ to: [{ mail_address: LINA }] });
      return send({ to: [{ mail_address: LINA }] });
    },
  },
  {
    page: MS,
    code: 1236008,
    how: 'real',
    title: "the user's daily external recipients",
    run: async () => {
      await limits({ dailyExternalRecipientsPerUser: 2 });
      await send({ to: toExternal(2) });
      return send({ to: toExternal(1) });
    },
  },
  {
    page: MS,
    code: 1236009,
    how: 'real',
    title: "the tenant's daily external recipients",
    run: async () => {
      await limits({ dailyExternalRecipientsPerTenant: 2 });
      await send({ to: toExternal(2) });
      return send({ to: toExternal(1) }, ln);
    },
  },
  {
    page: MS,
    code: 1236010,
    how: 'real',
    title: 'the per-user sending throttle',
    run: async () => {
      await limits({ sendsPerMinutePerUser: 1 });
      await send({ to: [{ mail_address: LINA }] });
      return send({ to: [{ mail_address: LINA }] });
    },
  },
  {
    page: MS,
    code: 1236012,
    how: 'fault',
    title: 'the send restriction',
    run: async () => {
      await fault(1236012, MS, SEND_PATH);
      return send({ to: [{ mail_address: LINA }] });
    },
  },
  {
    page: MS,
    code: 1236013,
    how: 'real',
    title: 'full tenant storage',
    run: async () => {
      await limits({ tenantStorageBytes: 100 });
      return send({ to: [{ mail_address: LINA }] });
    },
  },
  {
    page: MS,
    code: 1236014,
    how: 'fault',
    title: 'risky content',
    run: async () => {
      await fault(1236014, MS, SEND_PATH);
      return send({ to: [{ mail_address: LINA }] });
    },
  },
  {
    page: MS,
    code: 1236017,
    how: 'real',
    title: "a From that is not the sender's mailbox",
    run: () => sendRaw(rawMail(LINA, 'someone@vendor.example')),
  },
  {
    page: MS,
    code: 1236018,
    how: 'real',
    title: 'a recipient in the tenant domain that does not exist',
    run: () => send({ to: [{ mail_address: `nobody@${DOMAIN}` }] }),
  },
  {
    page: MS,
    code: 1236019,
    how: 'fault',
    title: 'an internal error',
    run: async () => {
      await fault(1236019, MS, SEND_PATH);
      return send({ to: [{ mail_address: LINA }] });
    },
  },
  // Feishu "发送草稿"
  {
    page: DS,
    code: 1234008,
    how: 'real',
    title: 'a send_time that is not Unix seconds',
    run: async () => sendDraft(await draft(rawMail(ZHANGWEI, LINA)), zw, 'me', { send_time: 'tomorrow' }),
  },
  {
    page: DS,
    code: 1236003,
    how: 'real',
    title: 'a draft with 501 recipients',
    run: async () => sendDraft(await draft(rawMail(ZHANGWEI, many(501)))),
  },
  {
    page: DS,
    code: 1236004,
    how: 'real',
    title: 'a draft with 501 attachments',
    run: async () => sendDraft(await draft(rawMail(ZHANGWEI, LINA, { attachments: attachments(501) }))),
  },
  {
    page: DS,
    code: 1236014,
    how: 'fault',
    title: 'risky content',
    run: async () => {
      const id = await draft(rawMail(ZHANGWEI, LINA));
      await fault(1236014, DS, `/open-apis/mail/v1/user_mailboxes/me/drafts/${id}/send`);
      return sendDraft(id);
    },
  },
  {
    page: DS,
    code: 1236017,
    how: 'real',
    title: "a draft whose From is someone else's",
    run: async () => sendDraft(await draft(rawMail(LINA, 'someone@vendor.example'))),
  },
  {
    page: DS,
    code: 1236018,
    how: 'real',
    title: 'a draft to a resigned user',
    run: async () => sendDraft(await draft(rawMail(ZHANGWEI, `zhaomin@${DOMAIN}`))),
  },
  {
    page: DS,
    code: 1234017,
    how: 'real',
    title: "another user's draft through their mailbox",
    run: async () => sendDraft(await draft(rawMail(ZHANGWEI, LINA)), ln, ZHANGWEI),
  },
  {
    page: DS,
    code: 1234050,
    how: 'real',
    title: 'an unknown draft id',
    run: () => sendDraft('268dce11-85f7-427d-8756-6be3abc850fd'),
  },
  {
    page: DS,
    code: 1234013,
    how: 'real',
    title: "a resigned user's mailbox",
    run: () => sendDraft('268dce11-85f7-427d-8756-6be3abc850fd', zw, `zhaomin@${DOMAIN}`),
  },
  {
    page: DS,
    code: 1236005,
    how: 'real',
    title: 'a draft sent twice',
    run: async () => {
      const id = await draft(rawMail(ZHANGWEI, LINA));
      await sendDraft(id);
      return sendDraft(id);
    },
  },
  {
    page: DS,
    code: 1236006,
    how: 'real',
    title: 'two drafts of one mailbox sent at once',
    run: async () => {
      const [a, b] = [await draft(rawMail(ZHANGWEI, LINA)), await draft(rawMail(ZHANGWEI, LINA))];
      return concurrently([() => sendDraft(a), () => sendDraft(b, zw, ZHANGWEI)]);
    },
  },
  {
    page: DS,
    code: 1236007,
    how: 'real',
    title: 'the daily send quota',
    run: async () => {
      const [a, b] = [await draft(rawMail(ZHANGWEI, LINA)), await draft(rawMail(ZHANGWEI, LINA))];
      await limits({ dailySendsPerUser: 1 });
      await sendDraft(a);
      return sendDraft(b);
    },
  },
  {
    page: DS,
    code: 1236008,
    how: 'real',
    title: "the user's daily external recipients",
    run: async () => {
      const id = await draft(rawMail(ZHANGWEI, many(3)));
      await limits({ dailyExternalRecipientsPerUser: 2 });
      return sendDraft(id);
    },
  },
  {
    page: DS,
    code: 1236009,
    how: 'real',
    title: "the tenant's daily external recipients",
    run: async () => {
      const [a, b] = [await draft(rawMail(ZHANGWEI, many(2))), await draft(rawMail(LINA, many(1)), ln)];
      await limits({ dailyExternalRecipientsPerTenant: 2 });
      await sendDraft(a);
      return sendDraft(b, ln);
    },
  },
  {
    page: DS,
    code: 1236010,
    how: 'real',
    title: 'the per-user sending throttle',
    run: async () => {
      const [a, b] = [await draft(rawMail(ZHANGWEI, LINA)), await draft(rawMail(ZHANGWEI, LINA))];
      await limits({ sendsPerMinutePerUser: 1 });
      await sendDraft(a);
      return sendDraft(b);
    },
  },
  {
    page: DS,
    code: 1236013,
    how: 'real',
    title: 'full tenant storage',
    run: async () => {
      const id = await draft(rawMail(ZHANGWEI, LINA));
      await limits({ tenantStorageBytes: 100 });
      return sendDraft(id);
    },
  },
  {
    page: DS,
    code: 1236019,
    how: 'fault',
    title: 'an internal error',
    run: async () => {
      const id = await draft(rawMail(ZHANGWEI, LINA));
      await fault(1236019, DS, `/open-apis/mail/v1/user_mailboxes/me/drafts/${id}/send`);
      return sendDraft(id);
    },
  },
];

describe('mail error codes through the SDK', () => {
  it('covers every row of the four mail pages exactly once', () => {
    const documented = DOC_CODES.filter((c) => c.page !== 'im-chat-create')
      .map((c) => `${c.page} ${c.code}`)
      .sort();
    expect(cases.map((c) => `${c.page} ${c.code}`).sort()).toEqual(documented);
  });

  it.each(cases.map((c) => [`${c.page} ${c.code} (${c.how}): ${c.title}`, c] as const))('%s', async (_name, c) => {
    const info = codeInfo(c.code, c.page);
    const got = await rejection(c.run());
    expect({ status: got.status, code: got.code }).toEqual({ status: info?.httpStatus, code: c.code });
    if (c.how === 'fault') expect(got.msg).toBe(info?.msg);
    else expect(got.msg.startsWith(info?.msg ?? '?')).toBe(true);
  });
});
