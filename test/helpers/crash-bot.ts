/**
 * A bot process for crash tests: run as `node --import tsx test/helpers/crash-bot.ts <dataDir>`. Its event handler
 * never finishes, so whatever it acknowledges is still unprocessed when the test SIGKILLs it. Prints its URL.
 */
import { join } from 'node:path';
import { parseConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import { createServer } from '../../src/server.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { ENCRYPT_KEY, VERIFICATION_TOKEN } from './feishu-push.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: crash-bot.ts <dataDir>');
const config = parseConfig({}, { FEISHU_ENCRYPT_KEY: ENCRYPT_KEY, FEISHU_VERIFICATION_TOKEN: VERIFICATION_TOKEN });
const server = createServer({
  config,
  store: new SqliteStore(join(dir, 'bot.sqlite')),
  handler: { handleEvent: () => new Promise(() => {}), handleCard: async () => ({ response: {} }) },
  logger: silentLogger,
  metrics: createMetrics(),
});
const { url } = await server.listen(0, '127.0.0.1');
process.stdout.write(`${url}\n`);
