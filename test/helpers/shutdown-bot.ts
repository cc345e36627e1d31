/**
 * A bot process for the SIGTERM test: `node --import tsx test/helpers/shutdown-bot.ts <dataDir>`. Its card
 * callbacks take 300 ms and its events 1 s, so a SIGTERM finds both in flight. Prints its URL; exits on SIGTERM
 * through the real graceful shutdown.
 */
import { join } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import { parseConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import { createServer, shutdownOnSignals } from '../../src/server.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { ENCRYPT_KEY, VERIFICATION_TOKEN } from './feishu-push.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: shutdown-bot.ts <dataDir>');
const config = parseConfig({}, { FEISHU_ENCRYPT_KEY: ENCRYPT_KEY, FEISHU_VERIFICATION_TOKEN: VERIFICATION_TOKEN });
const server = createServer({
  config,
  store: new SqliteStore(join(dir, 'bot.sqlite')),
  handler: {
    handleEvent: () => pause(1_000),
    handleCard: async () => {
      await pause(300);
      return { response: {} };
    },
  },
  logger: silentLogger,
  metrics: createMetrics(),
});
const { url } = await server.listen(0, '127.0.0.1');
shutdownOnSignals(server, silentLogger);
process.stdout.write(`${url}\n`);
