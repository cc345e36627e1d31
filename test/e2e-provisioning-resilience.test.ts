/**
 * Provisioning under failure: a bot SIGKILLed in the middle of /group create, and every command under injected
 * 5xx answers, dropped connections and timeouts. Each command must complete, each exactly once.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { expect, it } from 'vitest';
import { createBot } from '../src/bot.js';
import { parseConfig } from '../src/config.js';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { callsTo, control, eventually, groupChats, mailState, readCard } from './helpers/provisioning.js';
import { testSandbox } from './helpers/sandbox.js';

const botReplies = (emulator: Emulator, messageId: string) =>
  [...emulator.state.messages.values()].filter((m) => m.parentId === messageId && m.sender.type === 'app');

it('creates one chat when the bot is killed while creating it and a restarted bot resumes the command', async () => {
  const emulator = await startEmulator();
  const dataDir = mkdtempSync(join(tmpdir(), 'provision-crash-'));
  const secrets = { encryptKey: randomBytes(16).toString('hex'), verificationToken: randomBytes(16).toString('hex') };
  const env = { FEISHU_ENCRYPT_KEY: secrets.encryptKey, FEISHU_VERIFICATION_TOKEN: secrets.verificationToken };
  const pointAt = (url: string) => emulator.delivery.configure({ eventUrl: `${url}/webhook/event`, cardUrl: `${url}/webhook/card`, ...secrets });
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'helpers/provisioning-bot.ts'), dataDir, emulator.url], {
    env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  let bot: Awaited<ReturnType<typeof createBot>> | undefined;
  try {
    const [childUrl] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    pointAt(childUrl);
    // The create hangs in the emulator, which still performs it after the bot is gone: the worst moment to die.
    await control(emulator, 'faults', { pathPrefix: '/open-apis/im/v1/chats', latencyMs: 1500, count: 1 });
    const delayedUntil = Date.now() + 1500;
    const { messageId, event } = emulator.delivery.sendMessage({ from: '张伟', text: '/group create 崩溃恢复 @李娜' });
    expect((await emulator.delivery.settled(event!)).state).toBe('delivered');
    await eventually(() => expect(callsTo(emulator, '/open-apis/im/v1/chats')).toHaveLength(1));
    child.kill('SIGKILL');
    await once(child, 'exit');

    bot = await createBot({
      config: parseConfig({}, { ...env, LOG_LEVEL: 'silent' }), appId: emulator.state.app.appId, appSecret: emulator.state.app.appSecret,
      domain: emulator.url, dataDir,
    });
    pointAt(await bot.listen(0));
    await eventually(() => expect(botReplies(emulator, messageId)).toHaveLength(1), 15_000);
    // Let the dead bot's delayed create land too (its answer goes nowhere, so only time tells), then count.
    await new Promise((r) => setTimeout(r, Math.max(0, delayedUntil + 200 - Date.now())));
    expect(callsTo(emulator, '/open-apis/im/v1/chats')).toHaveLength(2);
    const chats = groupChats(emulator);
    expect(chats).toHaveLength(1);
    expect(readCard(botReplies(emulator, messageId)[0]?.card)).toContain(chats[0]?.chatId);
  } finally {
    child.kill('SIGKILL');
    await bot?.stop();
    await emulator.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

it('completes every command exactly once with 10% injected 5xx answers, dropped connections and timeouts', async () => {
  const sb = await testSandbox({}, { bot: { timeoutMs: 400, gateway: { maxAttempts: 8, backoffBaseMs: 20, backoffMaxMs: 200 } } });
  try {
    const faults = [
      { pathPrefix: '/open-apis/im/', errorRate: 0.1, code: 20050 },
      { pathPrefix: '/open-apis/contact/', errorRate: 0.1, code: 20050 },
      { pathPrefix: '/open-apis/mail/', errorRate: 0.1, code: 1230003 },
      ...['/open-apis/im/', '/open-apis/contact/', '/open-apis/mail/'].map((pathPrefix) => ({ pathPrefix, errorRate: 0.05, drop: true })),
      // Past the 400 ms client timeout: only where Feishu has an idempotency key (chat uuid, message uuid) or a read.
      ...['/open-apis/im/', '/open-apis/contact/'].map((pathPrefix) => ({ pathPrefix, errorRate: 0.05, latencyMs: 600 })),
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
    const replies = await Promise.all(sent.map((id) => eventually(() => {
      const r = botReplies(sb.emulator, id);
      expect(r.length).toBeGreaterThan(0);
      return r;
    }, 20_000)));
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
