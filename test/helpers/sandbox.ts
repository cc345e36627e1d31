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

/**
 * The texts a reader whose Feishu speaks `locale` sees, joined: each text's `i18n_content[locale]` (else its
 * `content`, as the client falls back), toasts' `i18n`, buttons and inputs included.
 */
export function textIn(card: unknown, locale: 'zh_cn' | 'en_us' | 'ja_jp'): string {
  const out: string[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    const o = n as Record<string, unknown>;
    const i18n = (o.i18n_content ?? o.i18n ?? o.i18n_default_value) as Record<string, unknown> | undefined;
    const own = i18n?.[locale] ?? o.content ?? o.default_value;
    if (typeof own === 'string') out.push(own);
    for (const [k, v] of Object.entries(o))
      if (!['content', 'i18n_content', 'i18n', 'default_value', 'i18n_default_value', 'tag', 'locales'].includes(k))
        walk(v);
  };
  walk(card);
  return out.join('\n');
}
