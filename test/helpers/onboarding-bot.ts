/**
 * A real bot process with the shipped onboarding workflow, for the crash test: `node --import tsx
 * test/helpers/onboarding-bot.ts <dataDir> <emulatorUrl>`, secrets in FEISHU_ENCRYPT_KEY / FEISHU_VERIFICATION_TOKEN.
 * 张伟 is the admin the automation runs as; 陈静 (the welcome mail's sender) signs in through the emulator's OAuth.
 * Inbox leases last 1 s, so a bot started after this one is SIGKILLed picks the event up at once. Prints its URL.
 */
import { createBot } from '../../src/bot.js';
import { DEFAULT_APP_ID, DEFAULT_APP_SECRET } from '../../src/emulator/index.js';
import { emulatorSignIns, withAdmin } from './onboarding.js';

const [dataDir, domain] = process.argv.slice(2);
if (!dataDir || !domain) throw new Error('usage: onboarding-bot.ts <dataDir> <emulatorUrl>');
const { FEISHU_ENCRYPT_KEY, FEISHU_VERIFICATION_TOKEN } = process.env;
const bot = await createBot({
  config: withAdmin({ FEISHU_ENCRYPT_KEY, FEISHU_VERIFICATION_TOKEN }),
  appId: DEFAULT_APP_ID,
  appSecret: DEFAULT_APP_SECRET,
  domain,
  dataDir,
  inbox: { leaseMs: 1_000 },
  userTokens: emulatorSignIns(domain),
});
process.stdout.write(`${await bot.listen(0)}\n`);
