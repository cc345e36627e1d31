/**
 * The bot as `npm run drills` runs it: a real process (handlers, SQLite store, inbox) against the emulator.
 * `node --import tsx scripts/drill-bot.ts <dataDir> <emulatorUrl>`, secrets in FEISHU_ENCRYPT_KEY /
 * FEISHU_VERIFICATION_TOKEN. Logs JSON at info to stdout (the drills scan them for secrets) after a first line
 * `DRILL_URL <url>`. Short leases and request timeouts, so a killed bot's work resumes within seconds.
 */
import { createBot } from '../src/bot.js';
import { parseConfig } from '../src/config.js';
import { DEFAULT_APP_ID, DEFAULT_APP_SECRET } from '../src/emulator/index.js';
import { createLogger } from '../src/log.js';
import { shutdownOnSignals } from '../src/server.js';

const [dataDir, domain] = process.argv.slice(2);
if (!dataDir || !domain) throw new Error('usage: drill-bot.ts <dataDir> <emulatorUrl>');
const { FEISHU_ENCRYPT_KEY, FEISHU_VERIFICATION_TOKEN } = process.env;
const config = parseConfig({ inbox: { concurrency: 8 } }, { FEISHU_ENCRYPT_KEY, FEISHU_VERIFICATION_TOKEN, LOG_LEVEL: 'info' });
const logger = createLogger('info');
const bot = await createBot({
  config, appId: DEFAULT_APP_ID, appSecret: DEFAULT_APP_SECRET, domain, dataDir, logger, timeoutMs: 2_000,
  inbox: { leaseMs: 2_000, retryDelayMs: (n) => Math.min(500 * 2 ** (n - 1), 5_000), maxAttempts: 8 },
});
const url = await bot.listen(0);
process.stdout.write(`DRILL_URL ${url}\n`);
shutdownOnSignals({ shutdown: () => bot.stop() }, logger);
