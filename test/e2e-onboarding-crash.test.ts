/**
 * Onboarding survives a crash: a bot SIGKILLed while a step's call hangs in the emulator (which still performs it
 * afterwards, the worst moment to die); a new bot on the same data dir finishes the run, and no effect exists twice.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createBot } from '../src/bot.js';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { announce, effectsOf, emulatorSignIns, withAdmin } from './helpers/onboarding.js';
import { ownPushSecrets, spawnHelperBot } from './helpers/child-bot.js';
import { callsTo, control, eventually } from './helpers/provisioning.js';
import { textIn } from './helpers/sandbox.js';

let emulator: Emulator;
let dataDir: string;
beforeEach(async () => {
  emulator = await startEmulator({ standing: true });
  dataDir = mkdtempSync(join(tmpdir(), 'ops-bot-onboard-crash-'));
});
afterEach(async () => {
  await emulator.close();
  rmSync(dataDir, { recursive: true, force: true });
});

it("finishes a run after the bot is SIGKILLed mid-step, with no step's effect twice", async () => {
  const { env, pointAt } = ownPushSecrets(emulator);
  const { child, listening } = spawnHelperBot('onboarding-bot.ts', [dataDir, emulator.url], env);
  let bot: Awaited<ReturnType<typeof createBot>> | undefined;
  try {
    pointAt(await listening);
    const contacts = '/open-apis/mail/v1/user_mailboxes/chenjing@feishu-ops.example/mail_contacts';
    const hangMs = 1500;
    await control(emulator, 'faults', { pathPrefix: contacts, latencyMs: hangMs, count: 1 });
    const hire = await announce(emulator, {
      name: '孙悦',
      enName: 'Sun Yue',
      department: 'ops',
      leader: '张伟',
      jobTitle: 'SRE',
    });
    await eventually(() => expect(callsTo(emulator, contacts)).toHaveLength(1), 15_000);
    const hungUntil = Date.now() + hangMs;
    child.kill('SIGKILL');
    await once(child, 'exit');
    // Steps before the crash are done; the contact create is under way and will land after the crash.
    expect(effectsOf(emulator, hire).inAllHands).toBe(true);

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
      const r = await bot!.app.workflows.get(`onboard:${hire.open_id}`);
      expect(r?.steps.map((s) => s.status)).toEqual(['done', 'done', 'done', 'done', 'done', 'done']);
      return r!;
    }, 30_000);
    await new Promise((r) => setTimeout(r, Math.max(0, hungUntil + 200 - Date.now())));

    const e = effectsOf(emulator, hire);
    expect(e.inAllHands).toBe(true);
    expect(e.teamChats).toHaveLength(1);
    expect([e.allStaffMembers, e.contacts, e.drafts, e.welcomeCards]).toEqual([1, 1, 1, 1]);
    expect(e.progressCards).toHaveLength(1);
    await eventually(() =>
      expect(textIn(emulator.state.messages.get(run.meta.progress!)?.card, 'zh_cn').match(/✓/g)).toHaveLength(6),
    );
  } finally {
    child.kill('SIGKILL');
    await bot?.stop();
  }
});
