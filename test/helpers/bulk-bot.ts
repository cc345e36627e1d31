/**
 * A real bot process for the /bulk crash test: `node --import tsx test/helpers/bulk-bot.ts <dataDir> <emulatorUrl>
 * <scale> <t0>`, secrets in FEISHU_ENCRYPT_KEY / FEISHU_VERIFICATION_TOKEN. Its limiter runs on the emulator's
 * scaled clock from `t0`, the one the bot that takes over uses too. Inbox leases last 1 s. Prints its URL.
 */
import { createBot } from '../../src/bot.js';
import { DEFAULT_APP_ID, DEFAULT_APP_SECRET } from '../../src/emulator/index.js';
import { scaledClock } from './clock.js';
import { withAdmin } from './onboarding.js';

const [dataDir, domain, scale, t0] = process.argv.slice(2);
if (!dataDir || !domain || !scale || !t0) throw new Error('usage: bulk-bot.ts <dataDir> <emulatorUrl> <scale> <t0>');
const { FEISHU_ENCRYPT_KEY, FEISHU_VERIFICATION_TOKEN } = process.env;
const bot = await createBot({
  config: withAdmin({ FEISHU_ENCRYPT_KEY, FEISHU_VERIFICATION_TOKEN }),
  appId: DEFAULT_APP_ID,
  appSecret: DEFAULT_APP_SECRET,
  domain,
  dataDir,
  inbox: { leaseMs: 1_000 },
  gateway: scaledClock(Number(scale), Number(t0)),
});
process.stdout.write(`${await bot.listen(0)}\n`);
