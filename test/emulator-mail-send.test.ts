/** messages/send and drafts on the emulator, through the official SDK with user tokens from its OAuth flow. */
import * as lark from '@larksuiteoapi/node-sdk';
import { beforeEach, describe, expect, it } from 'vitest';
import { decodeBase64Url } from '../src/emulator/mime.js';
import { control, rejection, useEmulator } from './helpers/emulator.js';
import { DOMAIN, eml, LINA, rawMail, userToken, ZHANGWEI } from './emulator-mail-support.js';

interface SentView {
  mailbox: string;
  smtpMessageId: string;
  draftId?: string;
  raw: string;
  summary: {
    subject: string;
    to: { mail_address: string }[];
    bcc: { mail_address: string }[];
    attachments: { filename: string }[];
    text: string;
  };
}

const h = useEmulator();
let zw: ReturnType<typeof lark.withUserAccessToken>;
beforeEach(async () => {
  zw = lark.withUserAccessToken(await userToken(h.emu, ZHANGWEI));
});

const mail = () => h.client.mail.v1;
const sentMail = async () => ((await control(h.emu, 'state')) as { mail: { sent: SentView[] } }).mail.sent;
const send = (data: object, box = 'me') => mail().userMailboxMessage.send({ path: { user_mailbox_id: box }, data }, zw);

describe('send mail', () => {
  it('sends structured fields and records the composed message', async () => {
    const res = await send({
      subject: '上线通知 Release',
      to: [{ mail_address: LINA, name: '李娜' }],
      bcc: [{ mail_address: 'audit@vendor.example' }],
      body_plain_text: '今晚发布 Tonight',
      body_html: '<p>今晚发布</p>',
      attachments: [{ filename: 'notes.txt', body: Buffer.from('release notes').toString('base64url') }],
      head_from: { name: '运维 Ops' },
    });
    expect(res.code).toBe(0);
    expect(res.data?.message_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.data?.thread_id).toMatch(/^[0-9a-f-]{36}$/);
    const [sent] = await sentMail();
    expect(sent?.mailbox).toBe(ZHANGWEI);
    expect(sent?.summary).toMatchObject({
      subject: '上线通知 Release',
      to: [{ mail_address: LINA }],
      bcc: [{ mail_address: 'audit@vendor.example' }],
      attachments: [{ filename: 'notes.txt' }],
    });
    const raw = decodeBase64Url(sent?.raw ?? '').toString();
    expect(raw).toContain(`Message-ID: ${sent?.smtpMessageId}`);
    expect(raw).toMatch(/From: =\?UTF-8\?.*<zhangwei@feishu-ops\.example>/);
  });

  it('accepts raw in base64url and in padded standard base64, addressed by "me" or the own address', async () => {
    const bytes = await eml({ from: ZHANGWEI, to: LINA, subject: 'a', text: 'x'.repeat(50) });
    expect((await send({ raw: bytes.toString('base64url') })).code).toBe(0);
    const second = await eml({ from: ZHANGWEI, to: LINA, subject: 'b', text: 'y' });
    expect((await send({ raw: second.toString('base64') }, ZHANGWEI)).code).toBe(0);
    expect((await sentMail()).map((m) => m.summary.subject)).toEqual(['a', 'b']);
  });

  it('says why a raw message is not MIME', async () => {
    const got = await rejection(send({ raw: Buffer.from('Subject: no address\n\nbody').toString('base64url') }));
    expect([got.status, got.code]).toEqual([400, 1236002]);
    expect(got.msg).toContain('no From or To');
  });

  it('refuses a send without any recipient (1234008)', async () => {
    const got = await rejection(send({ subject: 'to nobody', body_plain_text: 'x' }));
    expect([got.status, got.code]).toEqual([400, 1234008]);
    expect(got.msg).toContain('no recipient');
  });

  it('accepts exactly 500 recipients', async () => {
    const to = Array.from({ length: 500 }, (_, i) => ({ mail_address: `r${i}@vendor.example` }));
    expect((await send({ to })).code).toBe(0);
  });

  it('refuses the tenant token: sending needs a user token', async () => {
    const got = await rejection(
      mail().userMailboxMessage.send({ path: { user_mailbox_id: ZHANGWEI }, data: { to: [{ mail_address: LINA }] } }),
    );
    expect([got.status, got.code]).toEqual([400, 99991668]);
  });

  it('sends one at a time per mailbox but lets two mailboxes send at once', async () => {
    const ln = lark.withUserAccessToken(await userToken(h.emu, LINA));
    const both = await Promise.all([
      send({ to: [{ mail_address: LINA }] }),
      mail().userMailboxMessage.send(
        { path: { user_mailbox_id: 'me' }, data: { to: [{ mail_address: ZHANGWEI }] } },
        ln,
      ),
    ]);
    expect(both.map((r) => r.code)).toEqual([0, 0]);
  });

  it('allows 100 sends a minute and answers the 101st with 429 / 99991400', async () => {
    await control(h.emu, 'mail/limits', { sendsPerMinutePerUser: 1000 });
    for (let i = 0; i < 100; i++) expect((await send({ to: [{ mail_address: LINA }], subject: `n${i}` })).code).toBe(0);
    const got = await rejection(send({ to: [{ mail_address: LINA }] }));
    expect([got.status, got.code]).toEqual([429, 99991400]);
    expect(got.headers['x-ogw-ratelimit-limit']).toBe('100');
  });
});

describe('drafts', () => {
  const box = { user_mailbox_id: 'me' };
  const create = async (raw: string) =>
    (await mail().userMailboxDraft.create({ path: box, data: { raw } }, zw)).data?.draft;

  it('creates, reads in every format, updates, lists and deletes a draft', async () => {
    const raw = await rawMail(ZHANGWEI, [LINA, 'partner@vendor.example'], {
      attachments: [{ filename: 'plan.txt', content: 'plan' }],
    });
    const created = await create(raw);
    expect(created?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created?.message).toMatchObject({
      subject: '周报 Weekly report',
      to: [{ mail_address: LINA }, { mail_address: 'partner@vendor.example' }],
    });
    const id = created?.id ?? '';

    const get = (format?: 'raw' | 'metadata' | 'full') =>
      mail()
        .userMailboxDraft.get({ path: { ...box, draft_id: id }, params: format ? { format } : {} }, zw)
        .then((r) => r.data?.draft?.message);
    // message.raw is not in the SDK typings; the official CLI (larksuite/cli) reads it.
    const asRaw = (await get('raw')) as { raw?: string } | undefined;
    expect(decodeBase64Url(asRaw?.raw ?? '').equals(decodeBase64Url(raw))).toBe(true);
    const meta = await get('metadata');
    expect(meta && 'raw' in meta).toBe(false);
    expect(meta?.attachments?.map((a) => a.filename)).toEqual(['plan.txt']);
    const full = await get('full');
    expect(Buffer.from(full?.body_plain_text ?? '', 'base64url').toString()).toContain('No incidents');

    const updated = await mail().userMailboxDraft.update(
      { path: { ...box, draft_id: id }, data: { raw: await rawMail(ZHANGWEI, LINA, { subject: '改 Revised' }) } },
      zw,
    );
    expect(updated.data?.draft?.message?.subject).toBe('改 Revised');
    expect((await get())?.subject).toBe('改 Revised');

    await create(await rawMail(ZHANGWEI, LINA));
    const page1 = await mail().userMailboxDraft.list({ path: box, params: { page_size: 1 } }, zw);
    expect(page1.data?.items).toEqual([{ id }]);
    expect(page1.data?.has_more).toBe(true);
    const page2 = await mail().userMailboxDraft.list(
      { path: box, params: { page_size: 1, page_token: page1.data?.page_token } },
      zw,
    );
    expect(page2.data?.has_more).toBe(false);

    expect((await mail().userMailboxDraft.delete({ path: { ...box, draft_id: id } }, zw)).code).toBe(0);
    const gone = await rejection(mail().userMailboxDraft.get({ path: { ...box, draft_id: id } }, zw));
    expect([gone.status, gone.code]).toEqual([404, 1234050]);
  });

  it('refuses a draft without raw, with bad raw and with an unknown format', async () => {
    const missing = await rejection(mail().userMailboxDraft.create({ path: box, data: {} }, zw));
    expect([missing.status, missing.code]).toEqual([400, 1234008]);
    const bad = await rejection(mail().userMailboxDraft.create({ path: box, data: { raw: 'not base64!' } }, zw));
    expect([bad.status, bad.code]).toEqual([400, 1236002]);
    const id = (await create(await rawMail(ZHANGWEI, LINA)))?.id ?? '';
    const format = await rejection(
      mail().userMailboxDraft.get({ path: { ...box, draft_id: id }, params: { format: 'html' as 'raw' } }, zw),
    );
    expect([format.status, format.code, format.msg.includes('format')]).toEqual([400, 1234008, true]);
  });

  it('keeps drafts per mailbox: another user cannot see them through "me"', async () => {
    const id = (await create(await rawMail(ZHANGWEI, LINA)))?.id ?? '';
    const ln = lark.withUserAccessToken(await userToken(h.emu, LINA));
    const got = await rejection(mail().userMailboxDraft.get({ path: { user_mailbox_id: 'me', draft_id: id } }, ln));
    expect([got.status, got.code]).toEqual([404, 1234050]);
    expect((await mail().userMailboxDraft.list({ path: box }, ln)).data?.items).toEqual([]);
  });

  it('sends a draft only once and moves it to sent mail', async () => {
    const id = (await create(await rawMail(ZHANGWEI, LINA, { messageId: `<draft-1@${DOMAIN}>` })))?.id ?? '';
    const sent = await mail().userMailboxDraft.send({ path: { ...box, draft_id: id }, data: {} }, zw);
    expect(sent.data).toMatchObject({ recall_status: 'available' });
    expect(sent.data?.message_id).toMatch(/^[0-9a-f-]{36}$/);
    const again = await rejection(mail().userMailboxDraft.send({ path: { ...box, draft_id: id } }, zw));
    expect([again.status, again.code]).toEqual([409, 1236005]);
    expect((await mail().userMailboxDraft.list({ path: box }, zw)).data?.items).toEqual([]);
    expect((await sentMail()).map((m) => [m.draftId, m.smtpMessageId])).toEqual([[id, `<draft-1@${DOMAIN}>`]]);
    // The same Message-ID through messages/send is a repeat too.
    const repeat = await rejection(send({ raw: await rawMail(ZHANGWEI, LINA, { messageId: `<draft-1@${DOMAIN}>` }) }));
    expect(repeat.code).toBe(1236005);
  });

  it('allows 20 draft sends a minute and answers the 21st with 429 / 99991400', async () => {
    await control(h.emu, 'mail/limits', { sendsPerMinutePerUser: 1000 });
    const ids: string[] = [];
    for (let i = 0; i < 21; i++) {
      ids.push((await create(await rawMail(ZHANGWEI, LINA)))?.id ?? '');
      await control(h.emu, 'time', { advanceSeconds: 0.25 }); // draft creation allows 5/s
    }
    for (const id of ids.slice(0, 20))
      expect((await mail().userMailboxDraft.send({ path: { ...box, draft_id: id } }, zw)).code).toBe(0);
    const got = await rejection(mail().userMailboxDraft.send({ path: { ...box, draft_id: ids[20] ?? '' } }, zw));
    expect([got.status, got.code, got.headers['x-ogw-ratelimit-limit']]).toEqual([429, 99991400, '20']);
  });

  it('allows 5 draft creations a second and answers the 6th with 429 / 99991400', async () => {
    const raw = await rawMail(ZHANGWEI, LINA);
    await control(h.emu, 'time', { scale: 0.001 }); // emulator time nearly stands still: one window however slow the machine
    try {
      for (let i = 0; i < 5; i++)
        expect((await mail().userMailboxDraft.create({ path: box, data: { raw } }, zw)).code).toBe(0);
      const got = await rejection(mail().userMailboxDraft.create({ path: box, data: { raw } }, zw));
      expect([got.status, got.code, got.headers['x-ogw-ratelimit-limit']]).toEqual([429, 99991400, '5']);
    } finally {
      await control(h.emu, 'time', { scale: 1 });
    }
  });
});
