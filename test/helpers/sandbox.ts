import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox.js';

/**
 * A sandbox on loopback with a temp data dir, removed on close. `app` is the raw app.config.json content.
 * FEISHU_TRANSPORT=websocket in the test run's environment runs it over the long connection (npm run test:websocket).
 */
export async function testSandbox(
  app: unknown = {},
  o: Partial<SandboxOptions> = {},
  env: Record<string, string> = {},
): Promise<Sandbox & { dataDir: string }> {
  const dataDir = o.dataDir ?? mkdtempSync(join(tmpdir(), 'ops-bot-e2e-'));
  const sandbox = await startSandbox(
    parseConfig(app, { LOG_LEVEL: 'silent', FEISHU_TRANSPORT: process.env.FEISHU_TRANSPORT, ...env }),
    { ...o, dataDir },
  );
  return {
    ...sandbox,
    dataDir,
    async close() {
      await sandbox.close();
      if (!o.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export { cardText, textIn } from './card-text.js';
