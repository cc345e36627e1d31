/**
 * Provisioning under failure: a bot SIGKILLed in the middle of a command, and every command under injected 5xx
 * answers, dropped connections and timeouts, including creates Feishu performed but whose answer was lost. Each
 * command must complete, each exactly once.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBot } from '../src/bot.js';
import { parseConfig } from '../src/config.js';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { callsTo, control, eventually, groupChats, mailState, readCard } from './helpers/provisioning.js';
import { testSandbox } from './helpers/sandbox.js';

const PREFIXES = ['/open-apis/im/', '/open-apis/contact/', '/open-apis/mail/'];

const botReplies = (emulator: Emulator, messageId: string) =>
  [...emulator.state.messages.values()].filter((m) => m.parentId === messageId && m.sender.type === 'app');

/**
 * Runs `text` on a bot process, SIGKILLs it while the call to `hangPath` hangs in the emulator (which still performs
 * it afterwards, the worst moment to die), lets a new bot on the same data dir resume the command, and waits until
 * both the resumed run has replied and the dead run's call has landed. Resolves with the reply.
 */
async function killedDuring(emulator: Emulator, dataDir: string, hangPath: string, text: string) {
  const secrets = { encryptKey: randomBytes(16).toString('hex'), verificationToken: randomBytes(16).toString('hex') };
  const env = { FEISHU_ENCRYPT_KEY: secrets.encryptKey, FEISHU_VERIFICATION_TOKEN: secrets.verificationToken };
  const pointAt = (url: string) =>
    emulator.delivery.configure({ eventUrl: `${url}/webhook/event`, cardUrl: `${url}/webhook/card`, ...secrets });
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'helpers/provisioning-bot.ts'), dataDir, emulator.url],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let bot: Awaited<ReturnType<typeof createBot>> | undefined;
  try {
    const [childUrl] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    pointAt(childUrl);
    const hangMs = 1500;
    await control(emulator, 'faults', { pathPrefix: hangPath, latencyMs: hangMs, count: 1 });
    const hungUntil = Date.now() + hangMs;
    const { messageId, event } = emulator.delivery.sendMessage({ from: '张伟', text });
    expect((await emulator.delivery.settled(event!)).state).toBe('delivered');
    await eventually(() => expect(callsTo(emulator, hangPath)).toHaveLength(1));
    child.kill('SIGKILL');
    await once(child, 'exit');

    // The timeout is also how long a resumed create waits for the dead run's call to land before looking for it.
    bot = await createBot({
      config: parseConfig({}, { ...env, LOG_LEVEL: 'silent' }),
      appId: emulator.state.app.appId,
      appSecret: emulator.state.app.appSecret,
      domain: emulator.url,
      dataDir,
      timeoutMs: hangMs + 500,
    });
    pointAt(await bot.listen(0));
    await eventually(() => expect(botReplies(emulator, messageId)).toHaveLength(1), 15_000);
    // The dead run's hung call answers nobody, so only time tells when it has landed.
    await new Promise((r) => setTimeout(r, Math.max(0, hungUntil + 200 - Date.now())));
    // The resumed run either repeats the call (chats: same uuid) or looks for its result (mail groups, contacts).
    expect(emulator.kit.calls.filter((c) => c.path.startsWith(hangPath)).length).toBeGreaterThanOrEqual(2);
    await new Promise((r) => setTimeout(r, 100));
    const replies = botReplies(emulator, messageId);
    expect(replies).toHaveLength(1);
    return replies[0];
  } finally {
    child.kill('SIGKILL');
    await bot?.stop();
  }
}

describe('a bot killed in the middle of a command', () => {
  let emulator: Emulator;
  let dataDir: string;
  beforeEach(async () => {
    emulator = await startEmulator();
    dataDir = mkdtempSync(join(tmpdir(), 'provision-crash-'));
  });
  afterEach(async () => {
    await emulator.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates one chat when killed while creating it and a restarted bot resumes the command', async () => {
    const reply = await killedDuring(emulator, dataDir, '/open-apis/im/v1/chats', '/group create 崩溃恢复 @李娜');
    const chats = groupChats(emulator);
    expect(chats).toHaveLength(1);
    expect(readCard(reply?.card)).toContain(chats[0]?.chatId);
  });

  it('creates one mail group with its members when killed while adding them, adopting the group on restart', async () => {
    const reply = await killedDuring(
      emulator,
      dataDir,
      '/open-apis/mail/v1/mailgroups/',
      '/mailgroup create crash@feishu-ops.example @李娜',
    );
    const { mailgroups } = mailState(emulator);
    expect(mailgroups.map((g) => g.email)).toEqual(['crash@feishu-ops.example']);
    expect(mailgroups[0]?.members.map((m) => m.openId)).toEqual([
      emulator.state.users.find((u) => u.name === '李娜')?.open_id,
    ]);
    const text = readCard(reply?.card);
    expect(text).toContain('邮件组已创建');
    expect(text).toContain('上次处理中断，这个邮件组是那次创建的');
    expect(text).toContain('李娜');
  });

  it("adds one contact when killed while adding it, finding the dead run's contact on restart", async () => {
    const reply = await killedDuring(
      emulator,
      dataDir,
      '/open-apis/mail/v1/user_mailboxes/',
      '/contact add 崩溃联系人 email=crash@example.com',
    );
    const all = Object.values(mailState(emulator).contacts).flat();
    expect(all.map((c) => [c.name, c.mail_address])).toEqual([['崩溃联系人', 'crash@example.com']]);
    const text = readCard(reply?.card);
    expect(text).toContain('联系人已添加');
    expect(text).toContain(all[0]?.id);
  });
});

it('completes every command exactly once with 10% injected 5xx answers, dropped connections and timeouts', async () => {
  const sb = await testSandbox(
    {},
    { bot: { timeoutMs: 400, gateway: { maxAttempts: 8, backoffBaseMs: 20, backoffMaxMs: 200 } } },
  );
  try {
    const faults = [
      { pathPrefix: '/open-apis/im/', errorRate: 0.1, code: 20050 },
      { pathPrefix: '/open-apis/contact/', errorRate: 0.1, code: 20050 },
      { pathPrefix: '/open-apis/mail/', errorRate: 0.1, code: 1230003 },
      ...PREFIXES.flatMap((pathPrefix) => [
        { pathPrefix, errorRate: 0.05, drop: true },
        // Past the 400 ms client timeout, before the call runs: it lands after the client gave up.
        { pathPrefix, errorRate: 0.05, latencyMs: 600 },
        // Performed, then the answer is lost or comes too late.
        { pathPrefix, errorRate: 0.05, dropAfter: true },
        { pathPrefix, errorRate: 0.05, latencyAfterMs: 600 },
      ]),
    ];
    for (const f of faults) await control(sb.emulator, 'faults', f);
    const n = 6;
    const users = ['张伟', '李娜', '王芳'];
    const commands = Array.from({ length: n }, (_, i) => [
      `/group create 容错群${i} @刘洋`,
      `/mailgroup create fault-${i}@feishu-ops.example @刘洋`,
      `/contact add 联系人${i} email=c${i}@example.com`,
    ]).flat();
    const sent = await Promise.all(commands.map((text, i) => sb.say(users[i % users.length] ?? '张伟', text)));
    const replies = await Promise.all(
      sent.map((id) =>
        eventually(() => {
          const r = botReplies(sb.emulator, id);
          expect(r.length).toBeGreaterThan(0);
          return r;
        }, 20_000),
      ),
    );
    for (const r of replies) {
      expect(r).toHaveLength(1);
      expect(readCard(r[0]?.card)).toMatch(/群聊已创建|邮件组已创建|联系人已添加/);
    }
    expect(groupChats(sb.emulator)).toHaveLength(n);
    const { mailgroups, contacts } = mailState(sb.emulator);
    expect(mailgroups).toHaveLength(n);
    for (const g of mailgroups) expect(g.members).toHaveLength(1);
    expect(Object.values(contacts).flat()).toHaveLength(n);
    expect(sb.emulator.kit.calls.filter((c) => c.fault).length).toBeGreaterThan(0);
  } finally {
    await sb.close();
  }
});

it('adds each contact and mail group once when Feishu performs the create but its answer is lost or late', async () => {
  const sb = await testSandbox(
    {},
    { bot: { timeoutMs: 400, gateway: { maxAttempts: 8, backoffBaseMs: 20, backoffMaxMs: 200 } } },
  );
  try {
    const lose = [{ dropAfter: true }, { latencyAfterMs: 600 }];
    const runs = [
      ...lose.map((f, i) => ({
        f,
        pathPrefix: '/open-apis/mail/v1/user_mailboxes/',
        text: `/contact add 丢失${i} email=lost${i}@example.com`,
      })),
      ...lose.map((f, i) => ({
        f,
        pathPrefix: '/open-apis/mail/v1/mailgroups',
        text: `/mailgroup create lost-${i}@feishu-ops.example @刘洋`,
      })),
    ];
    for (const { f, pathPrefix, text } of runs) {
      // POST only: the contact create shares its path with the contacts list the duplicate check reads first.
      await control(sb.emulator, 'faults', { pathPrefix, method: 'POST', count: 1, ...f });
      const id = await sb.say('张伟', text);
      const replies = await eventually(() => {
        const r = botReplies(sb.emulator, id);
        expect(r.length).toBeGreaterThan(0);
        return r;
      }, 10_000);
      expect(replies).toHaveLength(1);
      expect(readCard(replies[0]?.card)).toMatch(/联系人已添加|邮件组已创建/);
    }
    const { mailgroups, contacts } = mailState(sb.emulator);
    expect(
      Object.values(contacts)
        .flat()
        .map((c) => c.name),
    ).toEqual(['丢失0', '丢失1']);
    expect(mailgroups.map((g) => [g.email, g.members.length])).toEqual([
      ['lost-0@feishu-ops.example', 1],
      ['lost-1@feishu-ops.example', 1],
    ]);
    // Each create was sent once and hit by its fault: the gateway found the result instead of creating again.
    const creates = sb.emulator.kit.calls.filter(
      (c) =>
        c.method === 'POST' &&
        /^\/open-apis\/mail\/v1\/(mailgroups|user_mailboxes\/[^/]+\/mail_contacts)$/.test(c.path),
    );
    expect(creates.map((c) => c.fault)).toEqual([true, true, true, true]);
  } finally {
    await sb.close();
  }
});
