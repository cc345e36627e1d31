/**
 * The bot as `npm run drills` runs it: a real process (handlers, SQLite or Redis store, inbox, token vault with
 * sign-in) against the emulator. `node --import tsx scripts/drill-bot.ts <dataDir> <emulatorUrl> [appConfigJson]`;
 * secrets in FEISHU_ENCRYPT_KEY / FEISHU_VERIFICATION_TOKEN / TOKEN_ENCRYPTION_KEY, and FEISHU_TRANSPORT,
 * REDIS_URL, REDIS_PREFIX when a drill sets them. Logs JSON at info to stdout (the drills scan them for secrets)
 * after a first line `DRILL_URL <url>`. Short leases and request timeouts, so a killed bot's work resumes within
 * seconds. Exits when its stdin closes: the runner that started it is gone.
 */
import { parseEncryptionKey } from '../src/auth/vault.js';
import { createBot } from '../src/bot.js';
import { parseConfig } from '../src/config.js';
import { DEFAULT_APP_ID, DEFAULT_APP_SECRET } from '../src/emulator/index.js';
import { createLogger } from '../src/log.js';
import { shutdownOnSignals } from '../src/server.js';

const [dataDir, domain, appConfig = '{"inbox":{"concurrency":8}}'] = process.argv.slice(2);
if (!dataDir || !domain) throw new Error('usage: drill-bot.ts <dataDir> <emulatorUrl> [appConfigJson]');
const {
  FEISHU_ENCRYPT_KEY,
  FEISHU_VERIFICATION_TOKEN,
  FEISHU_TRANSPORT,
  REDIS_URL,
  REDIS_PREFIX,
  TOKEN_ENCRYPTION_KEY,
} = process.env;
const config = parseConfig(JSON.parse(appConfig), {
  FEISHU_ENCRYPT_KEY,
  FEISHU_VERIFICATION_TOKEN,
  FEISHU_TRANSPORT,
  REDIS_URL,
  REDIS_PREFIX,
  LOG_LEVEL: 'info',
});
const logger = createLogger('info');
process.stdin.on('end', () => process.exit(1)).resume();
const bot = await createBot({
  config,
  appId: DEFAULT_APP_ID,
  appSecret: DEFAULT_APP_SECRET,
  domain,
  dataDir,
  logger,
  timeoutMs: 2_000,
  inbox: { leaseMs: 2_000, retryDelayMs: (n) => Math.min(500 * 2 ** (n - 1), 5_000), maxAttempts: 8 },
  ...(TOKEN_ENCRYPTION_KEY ? { tokenKey: parseEncryptionKey(TOKEN_ENCRYPTION_KEY) } : {}),
});
const url = await bot.listen(0);
process.stdout.write(`DRILL_URL ${url}\n`);
shutdownOnSignals({ shutdown: () => bot.stop() }, logger);
