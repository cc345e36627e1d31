/**
 * The real bot in its own process, for crash tests: `node --import tsx test/helpers/intake-bot.ts <dataDir> [--ack-only]`,
 * configured by the FEISHU_* variables (the emulator's app and the sandbox's secrets). `--ack-only` stops the inbox
 * workers once listening, so whatever it acknowledges is persisted and never processed: the window a SIGKILL between
 * the ack and the work hits. Listens on BOT_PORT (default: a free port) and prints its URL. UNDO_SEND_SECONDS holds
 * sent mail that long (default 0: at once). APP_CONFIG_JSON: more app.config.json content to run with;
 * INBOX_LEASE_MS shortens the inbox lease.
 */
import { createBot } from '../../src/bot.js';
import { parseConfig } from '../../src/config.js';

const [dataDir, mode] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: intake-bot.ts <dataDir> [--ack-only]');
const config = parseConfig(
  {
    mail: { undoSendSeconds: Number(process.env.UNDO_SEND_SECONDS ?? 0) },
    ...(JSON.parse(process.env.APP_CONFIG_JSON ?? '{}') as object),
  },
  { ...process.env, LOG_LEVEL: 'silent' },
);
const { FEISHU_APP_ID: appId, FEISHU_APP_SECRET: appSecret, FEISHU_DOMAIN: domain } = config.env;
if (!appId || !appSecret || !domain)
  throw new Error('set FEISHU_APP_ID, FEISHU_APP_SECRET and FEISHU_DOMAIN (the emulator)');
// INBOX_LEASE_MS: how soon a dead process's item is taken up again (crash tests shorten it).
const leaseMs = Number(process.env.INBOX_LEASE_MS) || undefined;
const bot = await createBot({ config, appId, appSecret, domain, dataDir, ...(leaseMs ? { inbox: { leaseMs } } : {}) });
// BOT_PORT: a successor takes its predecessor's port, so links it handed out (sign-in) still reach it.
const url = await bot.listen(Number(process.env.BOT_PORT ?? 0));
if (mode === '--ack-only') await bot.server.inbox.stop({ drainMs: 0 });
process.stdout.write(`${url}\n`);
