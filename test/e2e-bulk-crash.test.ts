/**
 * A /bulk batch survives a SIGKILL: the bot applying 192 contacts is killed mid-batch; a new bot on the same data dir
 * resumes the run at start-up, and every row exists exactly once, with no 429 from either bot.
 */
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createBot } from '../src/bot.js';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { contactsIn, contactsTable, createCalls, seedExisting } from './helpers/bulk.js';
import { scaledClock } from './helpers/clock.js';
import { withAdmin } from './helpers/onboarding.js';
import { ownPushSecrets, spawnHelperBot } from './helpers/child-bot.js';
import { eventually, readCard } from './helpers/provisioning.js';

const SCALE = 100;
let emulator: Emulator;
let dataDir: string;
beforeEach(async () => {
  emulator = await startEmulator({ timeScale: SCALE });
  dataDir = mkdtempSync(join(tmpdir(), 'ops-bot-bulk-crash-'));
});
afterEach(async () => {
  await emulator.close();
  rmSync(dataDir, { recursive: true, force: true });
});

it('resumes a batch after the bot is SIGKILLed mid-way, with no row twice', async () => {
  const { env, pointAt } = ownPushSecrets(emulator);
  const t0 = Date.now();
  await seedExisting(emulator);
  await new Promise((r) => setTimeout(r, 60_000 / SCALE));
  const { child, listening } = spawnHelperBot('bulk-bot.ts', [dataDir, emulator.url, `${SCALE}`, `${t0}`], env);
  let bot: Awaited<ReturnType<typeof createBot>> | undefined;
  try {
    pointAt(await listening);
    const { messageId } = emulator.delivery.sendMessage({ from: '张伟', text: `/bulk contacts\n${contactsTable()}` });
    const plan = await eventually(() => {
      const reply = [...emulator.state.messages.values()].find((m) => m.parentId === messageId);
      expect(readCard(reply?.card)).toContain('**将创建**：192');
      return reply!;
    }, 20_000);
    void emulator.delivery
      .click({ messageId: plan.messageId, by: '张伟', action: 'bulk.apply-contacts' })
      .catch(() => {});
    await eventually(() => expect(contactsIn(emulator).length).toBeGreaterThanOrEqual(5 + 60), 20_000);
    child.kill('SIGKILL');
    await once(child, 'exit');
    const atCrash = contactsIn(emulator).length;
    expect(atCrash).toBeLessThan(197);

    bot = await createBot({
      config: withAdmin(env),
      appId: emulator.state.app.appId,
      appSecret: emulator.state.app.appSecret,
      domain: emulator.url,
      dataDir,
      gateway: scaledClock(SCALE, t0),
    });
    pointAt(await bot.listen(0));
    await eventually(() => expect(contactsIn(emulator)).toHaveLength(197), 25_000);
    const emails = contactsIn(emulator).map((c) => c.mail_address);
    expect(new Set(emails).size).toBe(197);
    expect(createCalls(emulator).filter(([, status]) => status === 429)).toEqual([]);
    await eventually(
      () => expect(readCard(emulator.state.messages.get(plan.messageId)?.card)).toContain('**完成**：192'),
      10_000,
    );
  } finally {
    child.kill('SIGKILL');
    await bot?.stop();
  }
}, 60_000);
