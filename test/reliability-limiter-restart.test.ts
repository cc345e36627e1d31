/**
 * The client's rate budget survives a restart. A bot spends a minute's quota of chat creates,
 * restarts on the same data dir, and the next creates wait for the window instead of meeting Feishu's limit.
 * On a 10× clock shared by the emulator and the bot's gateway.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createBot, type Bot } from '../src/bot.js';
import { parseConfig } from '../src/config.js';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { scaledClock } from './helpers/clock.js';
import { control, eventually, groupChats } from './helpers/provisioning.js';

const SCALE = 10;
const CREATE = '/open-apis/im/v1/chats';

describe('the client rate limiter across a restart', () => {
  let emulator: Emulator | undefined;
  let bot: Bot | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'limiter-restart-'));
  afterEach(async () => {
    await bot?.stop();
    await emulator?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('restart does not exceed the window', async () => {
    emulator = await startEmulator({ timeScale: SCALE });
    const emu = emulator;
    await control(emu, 'limits', { route: `POST ${CREATE}`, perMinute: 3 });
    const secrets = { encryptKey: randomBytes(16).toString('hex'), verificationToken: randomBytes(16).toString('hex') };
    const config = parseConfig(
      { rateLimits: { 'chat.create': { perMinute: 3 } } },
      {
        FEISHU_ENCRYPT_KEY: secrets.encryptKey,
        FEISHU_VERIFICATION_TOKEN: secrets.verificationToken,
        LOG_LEVEL: 'silent',
      },
    );
    const start = async () => {
      bot = await createBot({
        config,
        appId: emu.state.app.appId,
        appSecret: emu.state.app.appSecret,
        domain: emu.url,
        dataDir,
        gateway: scaledClock(SCALE),
      });
      const url = await bot.listen(0);
      emu.delivery.configure({ eventUrl: `${url}/webhook/event`, cardUrl: `${url}/webhook/card`, ...secrets });
    };

    await start();
    for (let i = 1; i <= 3; i++) emu.delivery.sendMessage({ from: '张伟', text: `/group create 窗口群${i}` });
    await eventually(() => expect(groupChats(emu)).toHaveLength(3));
    await bot!.stop();
    await start();
    for (let i = 4; i <= 5; i++) emu.delivery.sendMessage({ from: '张伟', text: `/group create 窗口群${i}` });
    await eventually(() => expect(groupChats(emu)).toHaveLength(5), 30_000);

    const creates = emu.kit.calls.filter((c) => c.method === 'POST' && c.path === CREATE);
    expect(creates.filter((c) => c.status === 429 || c.code === 99991400)).toEqual([]);
    const firstAt = creates[0]!.at;
    const fourth = creates.find((c) => c.code === 0 && c.at > firstAt && creates.indexOf(c) >= 3);
    expect(fourth!.at - firstAt).toBeGreaterThanOrEqual(60_000);
  }, 60_000);
});
