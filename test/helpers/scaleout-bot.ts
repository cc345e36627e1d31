/**
 * One bot instance of a scaled-out deployment, in its own process: `node --import tsx test/helpers/scaleout-bot.ts
 * <emulatorUrl> [appConfigJson]`, with REDIS_URL, REDIS_PREFIX and the FEISHU_* push secrets in the environment.
 * Every instance given the same Redis and prefix shares one state. Leases last 1 s, so when one instance is
 * SIGKILLed another resumes its work at once. Prints its URL.
 */
import { createBot } from '../../src/bot.js';
import { parseConfig } from '../../src/config.js';
import { DEFAULT_APP_ID, DEFAULT_APP_SECRET } from '../../src/emulator/index.js';

const [domain, appConfig = '{}'] = process.argv.slice(2);
if (!domain) throw new Error('usage: scaleout-bot.ts <emulatorUrl> [appConfigJson]');
const { REDIS_URL, REDIS_PREFIX, FEISHU_ENCRYPT_KEY, FEISHU_VERIFICATION_TOKEN } = process.env;
if (!REDIS_URL) throw new Error('set REDIS_URL: scaled-out instances share one Redis');
const config = parseConfig(JSON.parse(appConfig), {
  REDIS_URL,
  REDIS_PREFIX,
  FEISHU_ENCRYPT_KEY,
  FEISHU_VERIFICATION_TOKEN,
  LOG_LEVEL: 'silent',
});
const bot = await createBot({
  config,
  appId: DEFAULT_APP_ID,
  appSecret: DEFAULT_APP_SECRET,
  domain,
  dataDir: '/nonexistent',
  inbox: { leaseMs: 1_000 },
});
process.stdout.write(`${await bot.listen(0)}\n`);
