/**
 * Offboarding survives a crash: a bot SIGKILLed while a step's call hangs in the emulator (which still performs it
 * afterwards); a new bot on the same data dir resumes the run, and nothing is done twice: each contact deleted
 * once, the chat handed over once, the welcome card recalled once, one progress card ending all ✓.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createBot } from '../src/bot.js';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { STANDING } from '../src/emulator/seed.js';
import { announce, emulatorSignIns, withAdmin } from './helpers/onboarding.js';
import { holdings, leave } from './helpers/offboarding.js';
import { ownPushSecrets, spawnHelperBot } from './helpers/child-bot.js';
import { callsTo, control, eventually, readCard, userNamed } from './helpers/provisioning.js';
import { textIn } from './helpers/sandbox.js';

let emulator: Emulator;
let dataDir: string;
beforeEach(async () => {
  emulator = await startEmulator({ standing: true });
  dataDir = mkdtempSync(join(tmpdir(), 'ops-bot-offboard-crash-'));
});
afterEach(async () => {
  await emulator.close();
  rmSync(dataDir, { recursive: true, force: true });
});

it('resumes an offboarding run after the bot is SIGKILLed mid-step, doing nothing twice', async () => {
  const { env, pointAt } = ownPushSecrets(emulator);
  const { child, listening } = spawnHelperBot('onboarding-bot.ts', [dataDir, emulator.url], env);
  let bot: Awaited<ReturnType<typeof createBot>> | undefined;
  try {
    pointAt(await listening);
    const hire = await announce(emulator, { name: '孙悦', enName: 'Sun Yue', department: 'ops', leader: '张伟' });
    const leader = userNamed(emulator, '张伟');
    // Onboarded (the welcome card is the last step), then a chat of their own.
    await eventually(() => expect(holdings(emulator, hire).contacts).toBe(1), 15_000);
    await eventually(() => expect(callsTo(emulator, '/open-apis/im/v1/messages').length).toBeGreaterThan(2), 15_000);
    await control(emulator, 'events/message', { from: '孙悦', text: '/group create 项目群Alpha' });
    const own = await eventually(() => {
      const c = [...emulator.state.chats.values()].find((x) => x.name === '项目群Alpha');
      expect(c).toBeDefined();
      return c!;
    }, 15_000);
    await new Promise((r) => setTimeout(r, 1500)); // the onboarding run's last card updates

    // The contact delete of the reverse-onboarding step hangs; the bot dies while Feishu performs it.
    const contacts = '/open-apis/mail/v1/user_mailboxes/chenjing@feishu-ops.example/mail_contacts';
    const hangMs = 1500;
    await control(emulator, 'faults', { pathPrefix: contacts, method: 'DELETE', latencyMs: hangMs, count: 1 });
    await leave(emulator, hire);
    await eventually(() => expect(callsTo(emulator, contacts, 'DELETE')).toHaveLength(1), 15_000);
    const hungUntil = Date.now() + hangMs;
    child.kill('SIGKILL');
    await once(child, 'exit');
    // Handed over before the crash (transfer-chats runs first).
    expect(emulator.state.chats.get(own.chatId)?.ownerId).toBe(leader.open_id);

    bot = await createBot({
      config: withAdmin(env),
      appId: emulator.state.app.appId,
      appSecret: emulator.state.app.appSecret,
      domain: emulator.url,
      dataDir,
      timeoutMs: hangMs + 500,
      userTokens: emulatorSignIns(emulator.url),
    });
    pointAt(await bot.listen(0));
    const run = await eventually(async () => {
      const r = await bot!.app.workflows.get(`offboard:${hire.open_id}`);
      expect(r?.steps.map((s) => s.status)).toEqual(['done', 'done', 'done', 'done', 'done', 'done']);
      return r!;
    }, 40_000);
    await new Promise((r) => setTimeout(r, Math.max(0, hungUntil + 200 - Date.now())));

    expect(holdings(emulator, hire)).toEqual({
      chats: ['项目群Alpha'],
      owns: [],
      inAllHands: false,
      mailgroups: [],
      contacts: 0,
    });
    // Nothing twice: one hand-over, one recall, one removal from the mail group, one leader notice, one progress card.
    expect(callsTo(emulator, `/open-apis/im/v1/chats/${own.chatId}`, 'PUT')).toHaveLength(1);
    expect(emulator.kit.calls.filter((c) => c.method === 'DELETE' && /\/messages\/om_/.test(c.path))).toHaveLength(1);
    expect(
      callsTo(emulator, '/open-apis/mail/v1/mailgroups/', 'DELETE').filter((c) => c.path.endsWith('batch_delete')),
    ).toHaveLength(1);
    const p2p = emulator.state.p2pChat(leader.open_id).chatId;
    const notices = [...emulator.state.messages.values()].filter(
      (m) => m.chatId === p2p && readCard(m.card).includes('孙悦 已离职'),
    );
    expect(notices).toHaveLength(1);
    const progress = [...emulator.state.messages.values()].filter(
      (m) => m.chatId === STANDING.admins.chatId && readCard(m.card).includes('离职流程：孙悦'),
    );
    expect(progress).toHaveLength(1);
    await eventually(() =>
      expect(textIn(emulator.state.messages.get(run.meta.progress!)?.card, 'zh_cn').match(/✓/g)).toHaveLength(6),
    );
  } finally {
    child.kill('SIGKILL');
    await bot?.stop();
  }
}, 90_000);
