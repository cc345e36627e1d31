/**
 * The local sandbox: the Feishu emulator and the bot wired to each other over loopback, with an Encrypt Key and
 * Verification Token of their own, so every push is encrypted and signed exactly as in production.
 * `npm start` without credentials runs it; end-to-end tests use it too.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as pause } from 'node:timers/promises';
import { createBot, type Bot, type BotOptions } from './bot.js';
import type { Config } from './config.js';
import { bundleConsole } from './console/bundle.js';
import { consoleRouter } from './console/router.js';
import type { EventDelivery } from './emulator/delivery.js';
import { startEmulator, type Emulator } from './emulator/index.js';
import type { Message } from './emulator/state.js';
import type { Logger } from './log.js';

export interface SandboxOptions {
  dataDir: string;
  /** 0 picks a free port. */
  botPort?: number;
  emulatorPort?: number;
  host?: string;
  timeScale?: number;
  logger?: Logger;
  cardBudgetMs?: number;
  /** Serve the browser console at `/` on the bot's port (npm start; tests that drive a browser). */
  console?: boolean;
  /**
   * The demo world of `npm start`: the emulator's standing chats and mail group (which the shipped onboarding
   * workflow names), and, when app.config.json names no admins, the first seeded user (张伟) as admin.
   */
  demo?: boolean;
  /** Passed to createBot (tests and benchmarks tune retries, timeouts and the inbox). */
  bot?: Pick<BotOptions, 'gateway' | 'inbox' | 'timeoutMs' | 'userTokens' | 'workflows'>;
}

export interface Sandbox {
  emulator: Emulator;
  delivery: EventDelivery;
  bot: Bot;
  botUrl: string;
  /** The console's address when it is served. */
  consoleUrl?: string;
  /** The config the bot runs with: the emulator's domain and the sandbox's own secrets. */
  config: Config;
  /** A user sends a text message (p2p unless chatId is given); resolves with its message id. */
  say(from: string, text: string, chatId?: string): Promise<string>;
  /** The bot's replies to a message, waiting until at least `count` exist. */
  replies(messageId: string, count?: number, timeoutMs?: number): Promise<Message[]>;
  close(): Promise<void>;
}

export async function startSandbox(base: Config, o: SandboxOptions): Promise<Sandbox> {
  const host = o.host ?? '127.0.0.1';
  // Bundled first: a console that cannot be built stops start-up before anything is listening.
  const consoleAssets = o.console ? await bundleConsole() : undefined;
  const emulator = await startEmulator({ port: o.emulatorPort ?? 0, host, timeScale: o.timeScale, standing: o.demo });
  const demoAdmin = o.demo && base.app.admins.length === 0 ? emulator.state.users[0]?.open_id : undefined;
  const encryptKey = randomBytes(16).toString('hex');
  const verificationToken = randomBytes(16).toString('hex');
  const config: Config = {
    ...base,
    ...(demoAdmin ? { app: { ...base.app, admins: [demoAdmin] } } : {}),
    env: {
      ...base.env,
      FEISHU_APP_ID: emulator.state.app.appId,
      FEISHU_APP_SECRET: emulator.state.app.appSecret,
      FEISHU_DOMAIN: emulator.url,
      FEISHU_ENCRYPT_KEY: encryptKey,
      FEISHU_VERIFICATION_TOKEN: verificationToken,
    },
  };
  const bot = await createBot({
    config,
    appId: emulator.state.app.appId,
    appSecret: emulator.state.app.appSecret,
    domain: emulator.url,
    dataDir: o.dataDir,
    logger: o.logger,
    cardBudgetMs: o.cardBudgetMs,
    // The data directory outlives the emulator, whose tokens die with it: sign-ins stored by an earlier sandbox hold
    // tokens this emulator never issued, so this one looks only at its own.
    signInNamespace: `sandbox-${randomBytes(8).toString('hex')}`,
    ...o.bot,
  });
  if (consoleAssets) {
    bot.server.app.use(
      consoleRouter({ emulatorUrl: emulator.url, commands: () => bot.app.commands(), assets: consoleAssets }),
    );
  }
  const { delivery } = emulator;
  const botUrl = await bot.listen(o.botPort ?? 0, host);
  if (config.env.FEISHU_TRANSPORT === 'websocket') {
    // The bot has opened its long connection to the emulator (in listen): pushes go over it.
    delivery.configure({ transport: 'websocket', encryptKey, verificationToken });
  } else {
    delivery.configure({
      eventUrl: `${botUrl}/webhook/event`,
      cardUrl: `${botUrl}/webhook/card`,
      encryptKey,
      verificationToken,
    });
    const check = await delivery.verifyUrl();
    if (!check.ok) throw new Error(`the bot failed the emulator's URL verification: ${check.reason}`);
  }

  const replies = async (messageId: string, count = 1, timeoutMs = 10_000): Promise<Message[]> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = [...emulator.state.messages.values()].filter(
        (m) => m.parentId === messageId && m.sender.type === 'app',
      );
      if (found.length >= count || Date.now() > until) return found;
      await pause(20);
    }
  };

  return {
    emulator,
    delivery,
    bot,
    botUrl,
    ...(o.console ? { consoleUrl: `${botUrl}/` } : {}),
    config,
    async say(from, text, chatId) {
      return delivery.sendMessage({ from, text, chatId }).messageId;
    },
    replies,
    async close() {
      await bot.stop();
      await emulator.close();
    },
  };
}

/** What `npm start` prints: the console first, then the wiring for those who want it. */
export function sandboxBanner(sb: Pick<Sandbox, 'botUrl' | 'consoleUrl' | 'emulator' | 'config' | 'delivery'>): string {
  const admins = sb.config.app.admins.map((id) => sb.emulator.state.userByOpenId(id)?.name ?? id).join(', ') || '—';
  return `
feishu-ops-bot sandbox: open ${sb.consoleUrl ?? `${sb.botUrl}/`} to chat with the bot
  (no FEISHU_APP_ID / FEISHU_APP_SECRET set: a local Feishu emulator stands in for Feishu)
  emulator  ${sb.emulator.url}   control API under /_emulator/ (README)
  ${sb.delivery.endpoint?.transport === 'websocket' ? 'transport long connection (FEISHU_TRANSPORT=websocket)' : `webhooks  ${sb.botUrl}/webhook/event   ${sb.botUrl}/webhook/card`}
  admins    ${admins} (may run /onboard and /offboard)
  new hire  console "Controls", or: curl -X POST ${sb.emulator.url}/_emulator/events/user-created \\
              -H 'content-type: application/json' -d '{"name":"孙悦","enName":"Sun Yue","department":"ops","leader":"张伟","jobTitle":"SRE"}'
            runs the onboarding workflow; progress shows in the chat 入职管理 Onboarding admins
  leaver    console "此人离职 · This person leaves", or: curl -X POST ${sb.emulator.url}/_emulator/events/user-deleted \\
              -H 'content-type: application/json' -d '{"user":"<open_id or email>"}'
            runs the offboarding workflow; progress shows in the same chat
Ctrl+C stops both.
`;
}
