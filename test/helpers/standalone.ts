/**
 * `npm run emulator` as a person runs it, in a process of its own (`src/emulator/cli.ts`), and a bot pointed at it
 * with credentials, as someone trying the bot outside the sandbox would: everything between them over HTTP, the
 * bot's events pushed after `POST /_emulator/bot`. The shipped app.config.json, with 张伟 as admin.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createBot, type Bot } from '../../src/bot.js';
import { DEFAULT_APP_ID, DEFAULT_APP_SECRET, type Emulator } from '../../src/emulator/index.js';
import type { SeedUser } from '../../src/emulator/state.js';
import type { UserTokenProvider } from '../../src/feishu/index.js';
import { control } from './emulator.js';
import { withAdmin } from './onboarding.js';
import { eventually } from './provisioning.js';

interface StateMessage {
  messageId: string;
  chatId: string;
  parentId?: string;
  sender: { type: string };
  card?: unknown;
}
interface StateSnapshot {
  users: SeedUser[];
  chats: { chatId: string; name: string; members: string[] }[];
  messages: StateMessage[];
}

export interface Standalone {
  /** The emulator's address and everything it printed on start. */
  emulator: Pick<Emulator, 'url'> & { banner: string };
  bot: Bot;
  botUrl: string;
  state(): Promise<StateSnapshot>;
  /** A user's message to the bot (p2p); its message id. */
  say(from: string, text: string): Promise<string>;
  /** The bot's replies to a message, once there are `count`. */
  replies(messageId: string, count?: number): Promise<StateMessage[]>;
  close(): Promise<void>;
}

/** Starts the emulator's CLI with `args` and reads its banner up to the control API line. */
async function startCli(args: string[]): Promise<{ child: ChildProcess; url: string; banner: string }> {
  const cli = join(import.meta.dirname, '..', '..', 'src', 'emulator', 'cli.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', cli, '--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  for await (const line of createInterface({ input: child.stdout! })) {
    lines.push(line);
    if (line.includes('control API')) break;
  }
  const url = lines[0]?.match(/listening on (\S+)/)?.[1];
  if (!url) throw new Error(`the emulator printed no address: ${lines.join('\n')}`);
  return { child, url, banner: lines.join('\n') };
}

/** `userTokens`: a stand-in for the token vault, made once the emulator's address is known; default the vault. */
export async function standalone(
  o: { args?: string[]; userTokens?: (emulatorUrl: string) => UserTokenProvider } = {},
): Promise<Standalone> {
  const { child, url, banner } = await startCli(o.args ?? []);
  const dataDir = mkdtempSync(join(tmpdir(), 'ops-bot-standalone-'));
  const secrets = { encryptKey: randomBytes(16).toString('hex'), verificationToken: randomBytes(16).toString('hex') };
  const bot = await createBot({
    config: withAdmin({ FEISHU_ENCRYPT_KEY: secrets.encryptKey, FEISHU_VERIFICATION_TOKEN: secrets.verificationToken }),
    appId: DEFAULT_APP_ID,
    appSecret: DEFAULT_APP_SECRET,
    domain: url,
    dataDir,
    workflows: { backoffBaseMs: 20, maxAttempts: 2 },
    gateway: { maxAttempts: 2, backoffBaseMs: 10 },
    ...(o.userTokens ? { userTokens: o.userTokens(url) } : {}),
  });
  const botUrl = await bot.listen(0);
  const emulator = { url, banner };
  await control(emulator, 'bot', {
    eventUrl: `${botUrl}/webhook/event`,
    cardUrl: `${botUrl}/webhook/card`,
    ...secrets,
  });
  const state = async () => (await control(emulator, 'state')) as unknown as StateSnapshot;
  return {
    emulator,
    bot,
    botUrl,
    state,
    async say(from, text) {
      return (await control(emulator, 'events/message', { from, text })).messageId as string;
    },
    replies: (messageId, count = 1) =>
      eventually(async () => {
        const found = (await state()).messages.filter((m) => m.parentId === messageId && m.sender.type === 'app');
        if (found.length < count) throw new Error(`${found.length} of ${count} replies to ${messageId}`);
        return found;
      }),
    async close() {
      await bot.stop();
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
