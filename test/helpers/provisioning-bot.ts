/**
 * A real bot process (handlers included) for crash tests: `node --import tsx test/helpers/provisioning-bot.ts
 * <dataDir> <emulatorUrl>`, secrets in FEISHU_ENCRYPT_KEY / FEISHU_VERIFICATION_TOKEN. Leases last 1 s, so a bot
 * started after this one is SIGKILLed resumes its unfinished work at once. Prints its URL.
 */
import { createBot } from '../../src/bot.js';
import { parseConfig } from '../../src/config.js';
import { DEFAULT_APP_ID, DEFAULT_APP_SECRET } from '../../src/emulator/index.js';

const CRASH_LEASE_MS = 1_000;

const [dataDir, domain] = process.argv.slice(2);
if (!dataDir || !domain) throw new Error('usage: provisioning-bot.ts <dataDir> <emulatorUrl>');
const { FEISHU_ENCRYPT_KEY, FEISHU_VERIFICATION_TOKEN } = process.env;
const config = parseConfig({}, { FEISHU_ENCRYPT_KEY, FEISHU_VERIFICATION_TOKEN, LOG_LEVEL: 'silent' });
const bot = await createBot({
  config,
  appId: DEFAULT_APP_ID,
  appSecret: DEFAULT_APP_SECRET,
  domain,
  dataDir,
  inbox: { leaseMs: CRASH_LEASE_MS },
});
process.stdout.write(`${await bot.listen(0)}\n`);
