/**
 * The command a user sent before signing in is a promise: it is recorded (sealed) with the sign-in before the card
 * goes out, and runs from that record through the inbox once the user consents, also when the process that took the
 * callback dies before doing anything about it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import PostalMime from 'postal-mime';
import { afterEach, describe, expect, it } from 'vitest';
import type { Message } from '../src/emulator/state.js';
import { browserSignIn } from './helpers/auth.js';
import { eventually, readCard, userNamed } from './helpers/provisioning.js';
import { childBot, freePort, killBot } from './helpers/child-bot.js';
import { testSandbox } from './helpers/sandbox.js';

type TestSandbox = Awaited<ReturnType<typeof testSandbox>>;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The real bot in a child process on `port`; `ackOnly`: its inbox takes items and runs none (the crash window). */
const botProcess = (
  sb: TestSandbox,
  dataDir: string,
  port: number,
  ackOnly: boolean,
  env: Record<string, string> = {},
) => childBot(sb, { dataDir, port, ackOnly, env, track: (kill) => cleanups.push(kill) });
const kill = killBot;

const sentMail = async (sb: TestSandbox): Promise<{ raw: string }[]> =>
  ((await (await fetch(`${sb.emulator.url}/_emulator/state`)).json()) as { mail: { sent: { raw: string }[] } }).mail
    .sent;

const botCards = (sb: TestSandbox, chatId: string): Message[] =>
  [...sb.emulator.state.messages.values()].filter((m) => m.chatId === chatId && m.sender.type === 'app' && m.card);

describe('a command waiting for sign-in', () => {
  it('runs once, from its record, when the bot dies right after taking the sign-in callback', async () => {
    const sb = await testSandbox();
    cleanups.push(() => sb.close());
    const dataDir = mkdtempSync(join(tmpdir(), 'signin-kill-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    const first = await botProcess(sb, dataDir, port, false);
    const messageId = await sb.say('张伟', '/mail send to=@李娜 subject="周报 Weekly" 第一行\n第二行 **粗体**');
    const [signIn] = await sb.replies(messageId);
    expect(readCard(signIn?.card)).toContain('需要登录');
    const link = /"default_url":"([^"]+)"/.exec(JSON.stringify(signIn!.card))?.[1];
    expect(link).toMatch(new RegExp(`^http://127.0.0.1:${port}/oauth/start\\?t=`));
    await kill(first);
    // Meanwhile the directory gives the recipient a name that reads like more recipients: it must stay a name.
    const eve = userNamed(sb.emulator, '李娜');
    eve.name = 'Eve <eve@evil.example>, Bob';

    // The callback is taken and answered by a process that runs nothing from its inbox, then dies.
    const second = await botProcess(sb, dataDir, port, true);
    const done = await browserSignIn(link!, userNamed(sb.emulator, '张伟').open_id);
    expect(done.status).toBe(200);
    expect(done.page).toContain('已登录为 张伟');
    expect(await sentMail(sb)).toHaveLength(0);
    await kill(second);

    await botProcess(sb, dataDir, port, false);
    const chatId = signIn!.chatId;
    await eventually(
      () => expect(botCards(sb, chatId).some((m) => readCard(m.card).includes('邮件已发送'))).toBe(true),
      20_000,
    );
    await eventually(() =>
      expect(botCards(sb, chatId).filter((m) => readCard(m.card).includes('登录成功'))).toHaveLength(1),
    );
    const [mail, ...more] = await sentMail(sb);
    expect(more).toEqual([]);
    const parsed = await PostalMime.parse(Buffer.from(mail!.raw, 'base64url'));
    expect(parsed.subject).toBe('周报 Weekly');
    expect(parsed.to).toEqual([expect.objectContaining({ address: eve.enterprise_email })]);
    expect(parsed.text).toContain('第一行\n第二行 **粗体**');
    // The link is spent: a second visit resumes nothing.
    const again = await fetch(link!, { redirect: 'manual' });
    expect(again.status).toBe(400);
    expect(botCards(sb, chatId).filter((m) => readCard(m.card).includes('邮件已发送'))).toHaveLength(1);
  }, 60_000);
});

describe('a mail held for Undo send', () => {
  it('goes out exactly once when its time comes, though the bot was killed during the hold', async () => {
    const sb = await testSandbox();
    cleanups.push(() => sb.close());
    const dataDir = mkdtempSync(join(tmpdir(), 'hold-kill-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    // Long enough that the first bot is killed before the release is due, under load too.
    const hold = { UNDO_SEND_SECONDS: '6' };
    const first = await botProcess(sb, dataDir, port, false, hold);
    const [login] = await sb.replies(await sb.say('张伟', '/login'));
    const link = /"default_url":"([^"]+)"/.exec(JSON.stringify(login!.card))?.[1];
    expect((await browserSignIn(link!, userNamed(sb.emulator, '张伟').open_id)).status).toBe(200);
    const [held] = await sb.replies(await sb.say('张伟', '/mail send to=@李娜 subject="稍后 Later" 正文'));
    expect(readCard(held?.card)).toContain('将在 6 秒后发送');
    await kill(first);
    expect(await sentMail(sb)).toHaveLength(0);

    await botProcess(sb, dataDir, port, false, hold);
    // Had the first bot leased the release before it died, its lease (30 s) lapses first.
    await eventually(async () => expect(await sentMail(sb)).toHaveLength(1), 50_000);
    // The held card itself now says what happened.
    await eventually(() =>
      expect(readCard(sb.emulator.state.messages.get(held!.messageId)?.card)).toContain('邮件已发送'),
    );
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await sentMail(sb)).toHaveLength(1);
  }, 90_000);
});
