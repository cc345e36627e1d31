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

/** Every text in a card JSON, joined: enough to assert what a person would read. */
export function cardText(card: unknown): string {
  const out: string[] = [];
  const walk = (n: unknown): void => {
    if (typeof n === 'string') out.push(n);
    else if (Array.isArray(n)) n.forEach(walk);
    else if (n && typeof n === 'object') Object.entries(n).forEach(([k, v]) => k !== 'tag' && walk(v));
  };
  walk(card);
  return out.join('\n');
}
