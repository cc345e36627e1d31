import * as lark from '@larksuiteoapi/node-sdk';
import PostalMime from 'postal-mime';
import { describe, expect, it } from 'vitest';
import { checkCompose, composeMail, type ComposeRequest, type ComposedMail } from '../src/mail/compose.js';
import { SIGN_IN_SCOPES } from '../src/auth/oauth.js';
import { loginUser } from '../src/emulator/testing.js';
import { control, rejection, useEmulator } from './helpers/emulator.js';

const base: ComposeRequest = {
  from: { address: 'zhangwei@feishu-ops.example', name: '张伟' },
  to: [{ address: 'lina@feishu-ops.example', name: '李娜' }],
  cc: [{ address: 'wangfang@feishu-ops.example', name: '王芳 (Wang Fang)' }],
  bcc: [{ address: 'liuyang@feishu-ops.example' }],
  subject: '本周值班安排 — On-call rota',
  body: '大家好，\n\n请查看 **值班表**：\n\n- 周一：李娜\n- 周二：王芳\n\n<script>alert(1)</script>',
};

async function composed(req: ComposeRequest = base, o: Parameters<typeof composeMail>[1] = {}): Promise<ComposedMail> {
  const r = await composeMail(req, o);
  if (!r.ok) throw new Error(`unexpected problems: ${JSON.stringify(r.problems)}`);
  return r.mail;
}

const fields = (req: Partial<ComposeRequest>) => checkCompose({ ...base, ...req }).map((p) => [p.field, p.code]);

describe('composing a mail', () => {
  it('builds an EML whose parse has the Chinese subject and names, html and text parts, From, Bcc and the Message-ID', async () => {
    const mail = await composed();
    expect(mail.raw).toMatch(/^[A-Za-z0-9_-]+$/);
    const eml = Buffer.from(mail.raw, 'base64url');
    expect(eml.length).toBe(mail.size);
    // Non-ASCII never travels raw in the headers: it is MIME-encoded.
    const headerBlock = eml.toString('latin1').split('\r\n\r\n')[0]!;
    expect([...headerBlock].every((c) => c.charCodeAt(0) < 0x80)).toBe(true);

    const parsed = await PostalMime.parse(eml);
    expect(parsed.subject).toBe(base.subject);
    expect(parsed.from).toMatchObject({ address: 'zhangwei@feishu-ops.example', name: '张伟' });
    expect(parsed.to).toEqual([{ address: 'lina@feishu-ops.example', name: '李娜' }]);
    expect(parsed.cc).toEqual([{ address: 'wangfang@feishu-ops.example', name: '王芳 (Wang Fang)' }]);
    expect(parsed.bcc?.map((a) => 'address' in a && a.address)).toEqual(['liuyang@feishu-ops.example']);
    expect(parsed.messageId).toBe(mail.messageId);
    expect(mail.messageId).toMatch(/^<[^@>]+@feishu-ops\.example>$/);
    expect(parsed.html).toContain('<strong>值班表</strong>');
    expect(parsed.html).toContain('<li>周一：李娜</li>');
    // Raw HTML typed into the body is shown, not executed.
    expect(parsed.html).not.toContain('<script>');
    expect(parsed.html).toContain('&lt;script&gt;');
    expect(parsed.text?.trim()).toBe(base.body);
  });

  it('keeps a display name that reads like addresses one quoted name: no recipient comes from a name', async () => {
    const mail = await composed({
      ...base,
      from: { address: 'zhangwei@feishu-ops.example', name: 'Mallory <m@evil.example>' },
      to: [{ address: 'bob@feishu-ops.example', name: 'Eve <eve@evil.example>, Bob' }],
      cc: [{ address: 'lina@feishu-ops.example', name: '"李娜" <x@evil.example>; y@evil.example' }],
    });
    const parsed = await PostalMime.parse(Buffer.from(mail.raw, 'base64url'));
    expect(parsed.from).toEqual({ address: 'zhangwei@feishu-ops.example', name: 'Mallory <m@evil.example>' });
    expect(parsed.to).toEqual([{ address: 'bob@feishu-ops.example', name: 'Eve <eve@evil.example>, Bob' }]);
    expect(parsed.cc).toEqual([
      { address: 'lina@feishu-ops.example', name: '"李娜" <x@evil.example>; y@evil.example' },
    ]);
  });

  it('derives the same Message-ID from the same seed, and different ones otherwise', async () => {
    const a = await composed(base, { messageIdSeed: 'evt-1' });
    const b = await composed(base, { messageIdSeed: 'evt-1' });
    const c = await composed(base, { messageIdSeed: 'evt-2' });
    const d = await composed(base);
    expect(a.messageId).toBe(b.messageId);
    expect(new Set([a.messageId, c.messageId, d.messageId]).size).toBe(3);
  });

  it('reports bad addresses, duplicates, missing recipients and empty or multi-line subjects and bodies in every language', async () => {
    expect(checkCompose(base)).toEqual([]);
    expect(fields({ to: [{ address: 'lina@' }, { address: 'not an address' }, { address: 'a@b' }] })).toEqual([
      ['to', undefined],
      ['to', undefined],
      ['to', undefined],
    ]);
    expect(fields({ cc: [{ address: 'LINA@feishu-ops.example' }] })).toEqual([['cc', undefined]]);
    expect(fields({ to: [], cc: [], bcc: [] })).toEqual([['recipients', undefined]]);
    expect(fields({ subject: '   ' })).toEqual([['subject', undefined]]);
    expect(fields({ subject: 'one\nBcc: evil@example.com' })).toEqual([['subject', undefined]]);
    expect(fields({ body: '\n \n' })).toEqual([['body', undefined]]);
    expect(fields({ from: { address: 'me' } })).toEqual([['from', undefined]]);
    const [problem] = checkCompose({ ...base, subject: '' });
    expect(problem?.zh_cn).toMatch(/主题/);
    expect(problem?.en_us).toMatch(/subject/i);
    expect(problem?.ja_jp).toMatch(/件名/);
    expect(await composeMail({ ...base, to: [{ address: 'x@' }] })).toMatchObject({
      ok: false,
      problems: [{ field: 'to' }],
    });
  });

  it('refuses more than 500 recipients (1236003) and a mail over the size limit (1236001) before any call', async () => {
    // 498 + the base cc and bcc = exactly 500.
    const many = Array.from({ length: 498 }, (_, i) => ({ address: `user${i}@example.com` }));
    expect(fields({ to: many })).toEqual([]);
    expect(fields({ to: [...many, { address: 'one-more@example.com' }] })).toEqual([['recipients', 1236003]]);
    const big = await composeMail(
      { ...base, body: 'x'.repeat(20_000) },
      { limits: { maxRecipients: 500, maxRawBytes: 10_000 } },
    );
    expect(big).toMatchObject({ ok: false, problems: [{ field: 'size', code: 1236001 }] });
  });
});

describe('a composed mail in the emulator', () => {
  const h = useEmulator();

  it('is accepted as a draft and sent, with its subject, names, bodies and Message-ID intact', async () => {
    const sender = h.emu.state.users[0]!;
    // The scopes sign-in asks for are enough for the whole draft flow.
    const { access_token } = await loginUser(h.emu, sender.open_id, SIGN_IN_SCOPES.join(' '));
    const mail = await composed({ ...base, from: { address: sender.enterprise_email, name: sender.name } });
    const asUser = lark.withUserAccessToken(access_token);
    const draft = await h.client.mail.v1.userMailboxDraft.create(
      { path: { user_mailbox_id: 'me' }, data: { raw: mail.raw } },
      asUser,
    );
    const draftId = draft.data?.draft?.id;
    expect(draft.data?.draft?.message?.subject).toBe(base.subject);
    const sent = await h.client.mail.v1.userMailboxDraft.send(
      { path: { user_mailbox_id: 'me', draft_id: draftId ?? '' } },
      asUser,
    );
    expect(sent.code).toBe(0);

    const { mail: world } = (await control(h.emu, 'state')) as {
      mail: { sent: { raw: string; smtpMessageId: string }[] };
    };
    expect(world.sent).toHaveLength(1);
    expect(world.sent[0]!.smtpMessageId).toBe(mail.messageId);
    const parsed = await PostalMime.parse(Buffer.from(world.sent[0]!.raw, 'base64url'));
    expect(parsed).toMatchObject({
      subject: base.subject,
      from: { address: sender.enterprise_email, name: sender.name },
    });
    expect(parsed.html).toContain('<strong>值班表</strong>');
    expect(parsed.text?.trim()).toBe(base.body);
  });

  it('is refused with 99991679 when the user did not grant the scope the call needs', async () => {
    const sender = h.emu.state.users[0]!;
    const mail = await composed({ ...base, from: { address: sender.enterprise_email, name: sender.name } });
    const sendOnly = await loginUser(h.emu, sender.open_id, 'mail:user_mailbox.message:send');
    const draft = h.client.mail.v1.userMailboxDraft.create(
      { path: { user_mailbox_id: 'me' }, data: { raw: mail.raw } },
      lark.withUserAccessToken(sendOnly.access_token),
    );
    expect(await rejection(draft)).toMatchObject({ status: 400, code: 99991679 });
    const draftOnly = await loginUser(h.emu, sender.open_id, 'mail:user_mailbox.message:modify');
    const send = h.client.mail.v1.userMailboxMessage.send(
      { path: { user_mailbox_id: 'me' }, data: { raw: mail.raw } },
      lark.withUserAccessToken(draftOnly.access_token),
    );
    expect(await rejection(send)).toMatchObject({ status: 400, code: 99991679 });
  });
});
