/**
 * Mail on behalf of users, end to end: the emulator pushes a user's command, the bot answers with a sign-in card,
 * the user consents on the emulator's authorize page (driven over HTTP), the callback on the bot resumes the
 * command, and every click on the draft preview lands in the emulator's mailbox as one mail at most.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DOC_CODES } from '../src/emulator/codes.js';
import { cardButtons } from '../src/emulator/delivery.js';
import { ERROR_TABLE } from '../src/feishu/errors.js';
import type { Message } from '../src/emulator/state.js';
import { control, eventually, readCard, userNamed } from './helpers/provisioning.js';
import { testSandbox, textIn } from './helpers/sandbox.js';
import { browserSignIn, signInLink } from './helpers/auth.js';

let sb: Awaited<ReturnType<typeof testSandbox>>;
beforeAll(async () => {
  // Dozens of draft sends in one file: above the documented 20/min, which the emulator's reset forgets but the
  // bot's own limiter (rightly) would make wait for. Sends go at once here: the undo-send hold has its own suite.
  sb = await testSandbox(
    { rateLimits: { 'mail.draft.send': { perMinute: 6000 } }, mail: { undoSendSeconds: 0 } },
    { bot: { gateway: { backoffBaseMs: 10, backoffMaxMs: 50 }, timeoutMs: 2_000 } },
  );
});
afterAll(async () => sb?.close());
beforeEach(async () => {
  await control(sb.emulator, 'reset', {});
  // The bot's store outlives an emulator reset: start every test signed out.
  for (const who of ['张伟', '李娜']) await command('/logout', who);
});

interface SentView {
  mailbox: string;
  raw: string;
  draftId?: string;
  message_id: string;
  thread_id: string;
}
const mailState = async () =>
  (
    (await (await fetch(`${sb.emulator.url}/_emulator/state`)).json()) as {
      mail: {
        sent: SentView[];
        drafts: { id: string; raw: string; summary: { subject: string; to: { mail_address: string }[] } }[];
      };
    }
  ).mail;

const botCards = (chatId: string): Message[] =>
  [...sb.emulator.state.messages.values()].filter((m) => m.chatId === chatId && m.sender.type === 'app' && m.card);

const signInUrl = signInLink;

/** Opens the card's link as `who` in a browser would: the bot's start page, Feishu's consent, the bot's callback. */
const consent = (url: string, who: string, o: { cookies?: boolean } = {}) =>
  browserSignIn(url, userNamed(sb.emulator, who).open_id, o);

/** `from` sends `text` privately; resolves with the bot's first reply. */
async function command(text: string, from = '张伟'): Promise<{ reply: Message; chatId: string; messageId: string }> {
  const messageId = await sb.say(from, text);
  const [reply] = await sb.replies(messageId);
  if (!reply) throw new Error(`no reply to ${text}`);
  return { reply, chatId: reply.chatId, messageId };
}

/** Signs `who` in through /login and returns their p2p chat id. */
async function signIn(who = '张伟'): Promise<string> {
  const { reply, chatId } = await command('/login', who);
  expect((await consent(signInUrl(reply.card), who)).status).toBe(200);
  await eventually(() => expect(botCards(chatId).some((m) => readCard(m.card).includes('登录成功'))).toBe(true));
  return chatId;
}

/** A draft made by `/draft` after sign-in: the preview message. */
async function draft(text: string, who = '张伟'): Promise<Message> {
  await signIn(who);
  const { reply } = await command(text, who);
  expect(readCard(reply.card)).toContain('草稿');
  return reply;
}

const click = (messageId: string, action: string, by = '张伟', formValue?: Record<string, unknown>) =>
  sb.delivery.click({ messageId, by, action, ...(formValue ? { formValue } : {}) });

describe('/draft and sign-in', () => {
  it('answers a /draft before sign-in with a sign-in card, resumes it after consent, and Send delivers one well-formed mail', async () => {
    // The last body line looks like an option and has a lone quote: it stays body text (the cc is the first line's).
    const text =
      '/draft to=@李娜 cc=wangfang@feishu-ops.example subject="季度总结 Q3" 大家好，\n\n本季度完成了 **发布**。\n- 第一项\n\ncc=finance@feishu-ops.example, it\'s "final';
    const { reply, chatId } = await command(text);
    const signInText = readCard(reply.card);
    expect(signInText).toContain('需要登录');
    expect(signInText).toContain('/draft');
    expect((await mailState()).drafts).toHaveLength(0);

    const done = await consent(signInUrl(reply.card), '张伟');
    expect(done.status).toBe(200);
    expect(done.page).toContain('已登录为 张伟');

    const preview = await eventually(() => {
      const p = botCards(chatId).find((m) => readCard(m.card).includes('草稿：季度总结 Q3'));
      if (!p)
        throw new Error(
          `no preview yet: ${botCards(chatId)
            .map((m) => readCard(m.card))
            .join('\n---\n')}`,
        );
      return p;
    });
    expect(botCards(chatId).some((m) => readCard(m.card).includes('登录成功'))).toBe(true);
    const previewText = readCard(preview.card);
    expect(previewText).toContain('lina@feishu-ops.example');
    expect(previewText).toContain('wangfang@feishu-ops.example');
    expect(previewText).toContain('zhangwei@feishu-ops.example');
    // Each reader sees the preview in their own language; the mail itself stays as its author wrote it.
    expect(textIn(preview.card, 'ja_jp')).toContain('下書き：季度总结 Q3');
    expect(textIn(preview.card, 'en_us')).toContain('Draft: 季度总结 Q3');
    expect(textIn(preview.card, 'en_us')).toContain('本季度完成了 **发布**');
    expect(cardButtons(preview.card).map((b) => b.value.action)).toEqual(['draft.send', 'draft.edit', 'draft.discard']);
    expect((await mailState()).drafts).toHaveLength(1);

    const sent = await click(preview.messageId, 'draft.send');
    expect(readCard(sent.card)).toContain('邮件已发送');
    const [mail, ...more] = (await mailState()).sent;
    expect(more).toHaveLength(0);
    expect(readCard(sent.card)).toContain(mail?.message_id);
    const parsed = await PostalMime.parse(Buffer.from(mail?.raw ?? '', 'base64url'));
    expect(parsed.subject).toBe('季度总结 Q3');
    expect(parsed.from).toMatchObject({ address: 'zhangwei@feishu-ops.example', name: '张伟' });
    expect(parsed.to).toEqual([expect.objectContaining({ address: 'lina@feishu-ops.example', name: '李娜' })]);
    expect(parsed.html).toContain('<strong>发布</strong>');
    expect(parsed.html).toContain('<li>第一项</li>');
    expect(parsed.text).toContain('大家好，\n\n本季度完成了 **发布**。');
    expect(parsed.text).toContain('cc=finance@feishu-ops.example, it\'s "final');
    expect(parsed.cc).toEqual([expect.objectContaining({ address: 'wangfang@feishu-ops.example' })]);
  });

  it('keeps no access or refresh token in clear in the SQLite files', async () => {
    await signIn();
    const tokens = [...sb.emulator.state.userTokens.keys(), ...sb.emulator.state.refreshTokens.keys()];
    expect(tokens.length).toBeGreaterThan(0);
    const dbFiles = readdirSync(sb.dataDir).filter((f) => f.includes('sqlite'));
    expect(dbFiles.length).toBeGreaterThan(0);
    const bytes = Buffer.concat(dbFiles.map((f) => readFileSync(join(sb.dataDir, f))));
    for (const token of tokens) expect(bytes.includes(Buffer.from(token))).toBe(false);
  });

  it('refuses a forged and a replayed state with 400 and exchanges nothing', async () => {
    const forged = await fetch(`${sb.botUrl}/oauth/callback?state=${'A'.repeat(43)}&code=abc`);
    expect(forged.status).toBe(400);
    const { reply } = await command('/login');
    const start = await fetch(signInUrl(reply.card), { redirect: 'manual' });
    const cookie = start.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const page = new URL(start.headers.get('location') ?? '');
    page.searchParams.set('emulator_user', userNamed(sb.emulator, '张伟').open_id);
    const location = (await fetch(page, { redirect: 'manual' })).headers.get('location') ?? '';
    expect((await fetch(location, { headers: { cookie } })).status).toBe(200);
    const before = sb.emulator.kit.calls.filter((c) => c.path === '/open-apis/authen/v2/oauth/token').length;
    const replay = await fetch(location, { headers: { cookie } });
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('已使用过');
    expect(sb.emulator.kit.calls.filter((c) => c.path === '/open-apis/authen/v2/oauth/token')).toHaveLength(before);
  });

  it('refuses a consent by someone other than the asker and keeps no token for either', async () => {
    const { reply, chatId } = await command('/login');
    const done = await consent(signInUrl(reply.card), '李娜');
    expect(done.status).toBe(403);
    await eventually(() => expect(botCards(chatId).some((m) => readCard(m.card).includes('登录未完成'))).toBe(true));
    const again = await command('/login');
    expect(readCard(again.reply.card)).toContain('需要登录');
    const lina = await command('/login', '李娜');
    expect(readCard(lina.reply.card)).toContain('需要登录');
  });

  it('/login when signed in says who and until when; /logout forgets the sign-in', async () => {
    await signIn();
    const { reply } = await command('/login');
    expect(readCard(reply.card)).toMatch(/已登录[\s\S]*张伟[\s\S]*zhangwei@feishu-ops.example[\s\S]*UTC/);
    await command('/logout');
    expect(readCard((await command('/login')).reply.card)).toContain('需要登录');
  });
});

describe('sending a draft exactly once', () => {
  const DRAFT = '/draft to=lina@feishu-ops.example subject=一次 只发一次';

  it('sends one mail for a double click (two concurrent clicks) and leaves no button to click again', async () => {
    const preview = await draft(DRAFT);
    const [a, b] = await Promise.all([click(preview.messageId, 'draft.send'), click(preview.messageId, 'draft.send')]);
    expect([a.status, b.status]).toEqual([200, 200]);
    await eventually(async () =>
      expect(readCard(sb.emulator.state.messages.get(preview.messageId)?.card)).toContain('邮件已发送'),
    );
    // The Sent card has no button left to click again.
    expect(cardButtons(sb.emulator.state.messages.get(preview.messageId)?.card)).toEqual([]);
    expect((await mailState()).sent).toHaveLength(1);
  });

  it('sends one mail when the card callback is pushed twice', async () => {
    await control(sb.emulator, 'bot', { ...sb.delivery.endpoint, duplicateAfterSuccess: true });
    try {
      const preview = await draft(DRAFT);
      await click(preview.messageId, 'draft.send');
      await eventually(() => expect(sb.delivery.callbacks.length).toBeGreaterThanOrEqual(1));
      expect((await mailState()).sent).toHaveLength(1);
    } finally {
      await control(sb.emulator, 'bot', { ...sb.delivery.endpoint, duplicateAfterSuccess: false });
    }
  });

  it('answers a non-author with an error toast and sends nothing', async () => {
    const preview = await draft(DRAFT);
    for (const action of ['draft.send', 'draft.edit', 'draft.discard']) {
      const r = await click(preview.messageId, action, '李娜');
      expect(JSON.stringify(r.response)).toContain('只有草稿的作者');
      expect(readCard(r.card)).toContain('草稿：一次');
    }
    expect((await mailState()).sent).toHaveLength(0);
    expect((await mailState()).drafts).toHaveLength(1);
  });

  it('reports a send whose answer was lost as sent, and still sends one mail', async () => {
    const preview = await draft(DRAFT);
    await control(sb.emulator, 'faults', {
      pathPrefix: '/open-apis/mail/v1/user_mailboxes/',
      dropAfter: true,
      count: 1,
    });
    const r = await click(preview.messageId, 'draft.send');
    await eventually(
      () => expect(readCard(sb.emulator.state.messages.get(preview.messageId)?.card)).toContain('邮件已发送'),
      15_000,
    );
    expect(readCard(sb.emulator.state.messages.get(preview.messageId)?.card)).toContain(
      '飞书没有回复发送请求，但草稿已被发出',
    );
    expect(r.status).toBe(200);
    expect((await mailState()).sent).toHaveLength(1);
  });

  it('Edit updates the draft and the preview; Discard deletes the draft', async () => {
    const preview = await draft(DRAFT);
    const form = await click(preview.messageId, 'draft.edit');
    expect(readCard(form.card)).toContain('编辑草稿');
    const saved = await click(preview.messageId, 'draft.save', '张伟', {
      to: 'wangfang@feishu-ops.example',
      cc: '',
      bcc: '',
      subject: '改过的主题',
      body: '新的正文',
    });
    expect(readCard(saved.card)).toContain('草稿：改过的主题');
    expect(readCard(saved.card)).toContain('wangfang@feishu-ops.example');
    const [d] = (await mailState()).drafts;
    expect(d?.summary.subject).toBe('改过的主题');
    expect(d?.summary.to.map((t) => t.mail_address)).toEqual(['wangfang@feishu-ops.example']);

    const discarded = await click(preview.messageId, 'draft.discard');
    expect(readCard(discarded.card)).toContain('草稿已丢弃');
    expect((await mailState()).drafts).toHaveLength(0);
    await click(preview.messageId, 'draft.send').catch(() => undefined);
    expect((await mailState()).sent).toHaveLength(0);
  });
});

/** What a Feishu client submits for a form left as shown: every input's value, by name. */
function formValues(card: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    const el = n as { tag?: string; name?: string; default_value?: string };
    if (el.tag === 'input' && el.name) out[el.name] = el.default_value ?? '';
    Object.values(n).forEach(walk);
  };
  walk(card);
  return out;
}

describe('a long draft', () => {
  it('Edit on a 100,000-character draft answers with a card under 30 KB that says how much it shows, and saving keeps the whole body', async () => {
    const lines = Array.from({ length: 2_000 }, (_, i) => `第 ${String(i).padStart(4, '0')} 行 line ${'x'.repeat(32)}`);
    const body = `${lines.join('\n')}\nTHE END`.padEnd(100_000, '.');
    expect(body).toHaveLength(100_000);
    // A command carries at most 10,000 characters; the edit form takes a body of up to 100,000.
    const preview = await draft(
      '/draft to=lina@feishu-ops.example bcc=wangfang@feishu-ops.example subject=长信 短的开头',
    );
    await click(preview.messageId, 'draft.edit');
    const long = await click(preview.messageId, 'draft.save', '张伟', {
      to: 'lina@feishu-ops.example',
      cc: '',
      bcc: 'wangfang@feishu-ops.example',
      subject: '长信',
      body,
    });
    expect(long.error).toBeUndefined();
    expect(readCard(long.card)).toContain('草稿：长信');

    const form = await click(preview.messageId, 'draft.edit');
    expect(form.error).toBeUndefined();
    const shown = sb.emulator.state.messages.get(preview.messageId)!;
    expect(Buffer.byteLength(shown.content)).toBeLessThanOrEqual(30 * 1024);
    const text = readCard(shown.card);
    expect(text).toContain('编辑草稿');
    expect(text).toContain(
      "100,000 characters, too long to edit on a card (a card's input takes 1,000); only the first 2,000 are shown",
    );
    expect(text).toContain('/draft');
    expect(text).toContain(lines[0]);
    expect(text).not.toContain('THE END');

    // Submitted as shown, with a new subject: the body is not a field of the form, so the draft keeps all of it.
    const values = formValues(shown.card);
    expect(Object.keys(values).sort()).toEqual(['bcc', 'cc', 'subject', 'to']);
    const saved = await click(preview.messageId, 'draft.save', '张伟', { ...values, subject: '长信（改）' });
    expect(saved.error).toBeUndefined();
    expect(readCard(saved.card)).toContain('草稿：长信（改）');
    const [d] = (await mailState()).drafts;
    const parsed = await PostalMime.parse(Buffer.from(d?.raw ?? '', 'base64url'));
    expect(parsed.subject).toBe('长信（改）');
    expect(parsed.bcc?.map((a) => a.address)).toEqual(['wangfang@feishu-ops.example']);
    expect(parsed.text).toContain(`${lines.at(-1)}\nTHE END...`);
  });
});

describe('draft records stored in clear by an earlier version', () => {
  it("seals a pending draft's record the first time it is read, and drops one whose draft was already sent", async () => {
    const preview = await draft(
      '/draft to=lina@feishu-ops.example bcc=wangfang@feishu-ops.example subject=旧记录 旧的正文',
    );
    const draftId = String(cardButtons(preview.card)[0]?.value.draftId);
    const key = `draft:${draftId}`;
    const zhang = userNamed(sb.emulator, '张伟');
    const clear = {
      author: zhang.open_id,
      mailbox: 'zhangwei@feishu-ops.example',
      fromName: '张伟',
      to: ['lina@feishu-ops.example'],
      cc: [],
      bcc: ['wangfang@feishu-ops.example'],
      subject: '旧记录',
      body: '旧的正文',
      size: 100,
      state: 'draft',
    };
    await sb.bot.store.set(key, JSON.stringify(clear), 60_000);
    const form = await click(preview.messageId, 'draft.edit');
    expect(readCard(form.card)).toContain('旧的正文');
    const sealed = await sb.bot.store.get(key);
    expect(JSON.parse(sealed ?? '""')).toMatch(/^v1\./);
    expect(sealed).not.toContain('wangfang');
    await click(preview.messageId, 'draft.preview');

    await sb.bot.store.set(key, JSON.stringify({ ...clear, state: 'sent' }), 60_000);
    const refused = await click(preview.messageId, 'draft.send');
    expect(JSON.stringify(refused.response)).toContain('This draft is gone (sent, discarded or expired)');
    expect(await sb.bot.store.get(key)).toBeUndefined();
    expect((await mailState()).sent).toHaveLength(0);
  });
});

describe('/mail send', () => {
  it('sends one mail when the command is delivered twice', async () => {
    await signIn();
    await control(sb.emulator, 'bot', { ...sb.delivery.endpoint, duplicateAfterSuccess: true });
    try {
      const { reply } = await command('/mail send to=lina@feishu-ops.example subject="通知 Notice" 明天 **放假**');
      expect(readCard(reply.card)).toContain('邮件已发送');
      await eventually(() => expect(sb.delivery.events.at(-1)?.attempts.length).toBe(2));
      const sent = (await mailState()).sent;
      expect(sent).toHaveLength(1);
      expect((await PostalMime.parse(Buffer.from(sent[0]?.raw ?? '', 'base64url'))).subject).toBe('通知 Notice');
    } finally {
      await control(sb.emulator, 'bot', { ...sb.delivery.endpoint, duplicateAfterSuccess: false });
    }
  });
});

describe('a directory name that reads like addresses', () => {
  const NAME = 'Eve <eve@evil.example>, Bob';
  /** A colleague whose directory name is NAME; their mailbox is the one address a mail to them may reach. */
  const bob = () => sb.emulator.state.addUser({ name: NAME, enName: 'Bob Eve', department: 'ops' });
  const sentTo = async () => {
    const sent = (await mailState()).sent;
    expect(sent).toHaveLength(1);
    const parsed = await PostalMime.parse(Buffer.from(sent[0]?.raw ?? '', 'base64url'));
    return [...(parsed.to ?? []), ...(parsed.cc ?? []), ...(parsed.bcc ?? [])];
  };

  it('stays one recipient of /mail send, resumed after sign-in', async () => {
    const { open_id, enterprise_email } = bob();
    const { reply, chatId } = await command(`/mail send to=@${open_id} subject=Hi 你好`);
    expect(readCard(reply.card)).toContain('需要登录');
    await consent(signInUrl(reply.card), '张伟');
    await eventually(() => expect(botCards(chatId).some((m) => readCard(m.card).includes('邮件已发送'))).toBe(true));
    // The resumed command runs from its recorded arguments: the name stays the display name, quoted by the MIME library.
    expect(await sentTo()).toEqual([{ address: enterprise_email, name: NAME }]);
  });

  it('stays one recipient of a /draft, its name intact as the display name', async () => {
    const { open_id, enterprise_email } = bob();
    const preview = await draft(`/draft to=@${open_id} subject=Hi 你好`);
    expect(readCard((await click(preview.messageId, 'draft.send')).card)).toContain('邮件已发送');
    expect(await sentTo()).toEqual([{ address: enterprise_email, name: NAME }]);
  });
});

describe('each mail error code of the two send pages gets its explanatory card', () => {
  const codes = (page: 'mail-message-send' | 'mail-draft-send') =>
    DOC_CODES.filter((c) => c.page === page).map((c) => c.code);
  const MAILBOXES = '/open-apis/mail/v1/user_mailboxes/';

  /** What the card must say for `code`: sent for "already sent" (that is what 1236005 means after our attempt). */
  function expectExplained(card: unknown, code: number): void {
    const text = readCard(card);
    if (code === 1236005) {
      expect(text).toContain('邮件已发送');
      return;
    }
    expect(text).toContain('邮件未发送');
    expect(text).toContain(String(code));
    expect(text).toContain(ERROR_TABLE[code]?.problem.zh_cn);
    expect(text).toContain(ERROR_TABLE[code]?.problem.en_us);
    expect(textIn(card, 'zh_cn')).toMatch(/参考编号：\S+/);
    expect(textIn(card, 'en_us')).toMatch(/Reference：\S+/);
  }

  it.each(codes('mail-message-send'))('/mail send answered %i', async (code) => {
    await signIn();
    await control(sb.emulator, 'faults', { pathPrefix: MAILBOXES, code, count: 10 });
    const { reply } = await command('/mail send to=lina@feishu-ops.example subject=错误码 正文');
    expectExplained(reply.card, code);
    expect((await mailState()).sent).toHaveLength(0);
  });

  it.each(codes('mail-draft-send'))('draft Send answered %i', async (code) => {
    const preview = await draft('/draft to=lina@feishu-ops.example subject=错误码 正文');
    await control(sb.emulator, 'faults', { pathPrefix: MAILBOXES, code, count: 10 });
    const r = await click(preview.messageId, 'draft.send');
    expect(r.status).toBe(200);
    await eventually(() => expectExplained(sb.emulator.state.messages.get(preview.messageId)?.card, code), 20_000);
    expect((await mailState()).sent).toHaveLength(0);
  });
});

describe('user tokens at expiry', () => {
  const TOKEN = '/open-apis/authen/v2/oauth/token';
  const refreshCalls = () =>
    sb.emulator.kit.calls.filter(
      (c) => c.path === TOKEN && (c.body as { grant_type?: string }).grant_type === 'refresh_token',
    );

  it('refreshes once for two commands that meet an expired access token', async () => {
    await signIn();
    await control(sb.emulator, 'time', { advanceSeconds: 3 * 3600 });
    const [a, b] = await Promise.all([
      command('/mail send to=lina@feishu-ops.example subject=一 正文一'),
      command('/mail send to=lina@feishu-ops.example subject=二 正文二'),
    ]);
    expect(readCard(a.reply.card)).toContain('邮件已发送');
    expect(readCard(b.reply.card)).toContain('邮件已发送');
    expect(refreshCalls()).toHaveLength(1);
    expect((await mailState()).sent).toHaveLength(2);
  });

  it('answers with the sign-in card, resuming the command, when the refresh token was already used', async () => {
    await signIn();
    const [refresh] = [...sb.emulator.state.refreshTokens.keys()];
    const spent = await fetch(new URL(TOKEN, sb.emulator.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'refresh_token',
        refresh_token: refresh,
        client_id: sb.emulator.state.app.appId,
        client_secret: sb.emulator.state.app.appSecret,
      }),
    });
    expect(spent.status).toBe(200);
    await control(sb.emulator, 'time', { advanceSeconds: 3 * 3600 });
    const { reply, chatId } = await command('/mail send to=lina@feishu-ops.example subject=过期 正文');
    expect(readCard(reply.card)).toContain('需要登录');
    expect(readCard(reply.card)).toContain('/mail send');
    expect((await mailState()).sent).toHaveLength(0);
    await consent(signInUrl(reply.card), '张伟');
    await eventually(() => expect(botCards(chatId).some((m) => readCard(m.card).includes('邮件已发送'))).toBe(true));
    expect((await mailState()).sent).toHaveLength(1);
  });
});

describe('commands of one user', () => {
  it('run one at a time, in the order they were sent', async () => {
    await signIn();
    const ids = [];
    for (const n of [1, 2, 3])
      ids.push(await sb.say('张伟', `/mail send to=lina@feishu-ops.example subject=顺序${n} 正文`));
    for (const id of ids) await sb.replies(id);
    const subjects = await Promise.all(
      (await mailState()).sent.map(async (m) => (await PostalMime.parse(Buffer.from(m.raw, 'base64url'))).subject),
    );
    expect(subjects).toEqual(['顺序1', '顺序2', '顺序3']);
  });
});
