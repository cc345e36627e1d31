/**
 * Work that goes on after a card answer. "Create a mailgroup for this chat" is slowed past the
 * 2.5 s card budget, so the click is answered with a progress card; the bot is then SIGKILLed while the create still
 * hangs. The continuation was put in the durable inbox before the answer: the next bot on the same data dir reruns
 * the action, finds the mail group the dead run made (no second one), and replaces the progress card.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { createBot, type Bot } from '../src/bot.js';
import { parseConfig } from '../src/config.js';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { callsTo, control, eventually, mailState, readCard } from './helpers/provisioning.js';

const MAILGROUPS = '/open-apis/mail/v1/mailgroups';

describe('a card action interrupted after its progress card', () => {
  let emulator: Emulator | undefined;
  let bot: Bot | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'continuation-'));
  afterEach(async () => {
    await bot?.stop();
    await emulator?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('resumes after SIGKILL and replaces the progress card: it never stays on "working"', async () => {
    emulator = await startEmulator();
    const emu = emulator;
    const secrets = { encryptKey: randomBytes(16).toString('hex'), verificationToken: randomBytes(16).toString('hex') };
    const env = { FEISHU_ENCRYPT_KEY: secrets.encryptKey, FEISHU_VERIFICATION_TOKEN: secrets.verificationToken };
    const pointAt = (url: string) =>
      emu.delivery.configure({ eventUrl: `${url}/webhook/event`, cardUrl: `${url}/webhook/card`, ...secrets });
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'helpers/provisioning-bot.ts'), dataDir, emu.url],
      {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      const [childUrl] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
      pointAt(childUrl);
      const { messageId } = emu.delivery.sendMessage({ from: '张伟', text: '/group create "Night Shift" @李娜' });
      const reply = await eventually(() => {
        const r = [...emu.state.messages.values()].find((m) => m.parentId === messageId && m.sender.type === 'app');
        expect(r).toBeDefined();
        return r!;
      });

      // The button opens a pre-filled form; the mail group is created when the form is submitted.
      await emu.delivery.click({ messageId: reply.messageId, by: '张伟', action: 'group.mailgroup' });
      const form = await eventually(() => {
        const f = [...emu.state.messages.values()].find(
          (m) =>
            m.chatId === reply.chatId &&
            m.sender.type === 'app' &&
            JSON.stringify(m.card ?? {}).includes('group.mailgroup-submit'),
        );
        expect(f).toBeDefined();
        return f!;
      });
      const domain = emu.state.users.find((u) => u.name === '张伟')?.enterprise_email?.split('@')[1];
      await control(emu, 'faults', { pathPrefix: MAILGROUPS, latencyMs: 4_000, count: 1 });
      const click = await emu.delivery.click({
        messageId: form.messageId,
        by: '张伟',
        action: 'group.mailgroup-submit',
        formValue: { email: `night-shift@${domain}`, name: 'Night Shift', who: 'members' },
      });
      expect(click.status).toBe(200);
      expect(readCard(click.card)).toMatch(/正在创建邮件组/);
      await eventually(() => expect(callsTo(emu, MAILGROUPS).length).toBeGreaterThanOrEqual(1));
      child.kill('SIGKILL');
      await once(child, 'exit');
    } finally {
      child.kill('SIGKILL');
    }

    // The dead run's create lands at 4 s; the resumed run waits for its claim, then looks before creating.
    bot = await createBot({
      config: parseConfig({}, { ...env, LOG_LEVEL: 'silent' }),
      appId: emu.state.app.appId,
      appSecret: emu.state.app.appSecret,
      domain: emu.url,
      dataDir,
      timeoutMs: 4_500,
    });
    pointAt(await bot.listen(0));
    const card = () =>
      readCard(
        [...emu.state.messages.values()].find((m) => m.card && readCard(m.card).includes('night-shift@'))?.card ?? {},
      );
    await eventually(() => expect(card()).toMatch(/night-shift@/), 30_000);
    expect(card()).not.toMatch(/正在创建邮件组/);
    expect(mailState(emu).mailgroups.filter((g) => g.email.startsWith('night-shift@'))).toHaveLength(1);
  }, 60_000);
});
