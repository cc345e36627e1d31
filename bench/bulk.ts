/**
 * /bulk contacts with 300 rows, applied as one run through the sandbox, against mail_contacts' documented 20/min:
 * rows per emulated minute against that binding limit (target ≥ 95 %) and the emulator's 429 count (target 0).
 * As in contacts.ts: time scale 30, the bot's limiter in real time at the same budget (10 per real second).
 *
 *   npx tsx bench/bulk.ts [rows]        or   import { run } from './bulk.js'
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseConfig } from '../src/config.js';
import { startSandbox } from '../src/sandbox.js';

const DOCUMENTED_PER_MINUTE = 20;
const SCALE = 30;
const CONTACTS_PATH = '/open-apis/mail/v1/user_mailboxes/';

export interface BulkBenchResult {
  rows: number;
  created: number;
  realSeconds: number;
  /** Rows created per emulated minute, from the first create to the last (a sliding window allows a first burst). */
  perMinute: number;
  ofLimit: number;
  http429: number;
}

export async function run(rows = 300): Promise<BulkBenchResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-bulk-'));
  const perSecond = DOCUMENTED_PER_MINUTE * (SCALE / 60);
  const config = parseConfig({ rateLimits: { 'mail.contact.create': { perSecond } } }, { LOG_LEVEL: 'silent' });
  const sb = await startSandbox(config, { dataDir, timeScale: SCALE });
  try {
    const table = ['name,email', ...Array.from({ length: rows }, (_, i) => `伙伴${i},bulk${i}@partner.example`)];
    const [plan] = await sb.replies(await sb.say('张伟', `/bulk contacts\n${table.join('\n')}`), 1, 60_000);
    if (!plan) throw new Error('no plan card');
    const startReal = performance.now();
    await sb.delivery.click({ messageId: plan.messageId, by: '张伟', action: 'bulk.apply-contacts' });
    const calls = () => sb.emulator.kit.calls.filter((c) => c.method === 'POST' && c.path.startsWith(CONTACTS_PATH));
    for (;;) {
      const ok = calls().filter((c) => c.status === 200).length;
      if (ok >= rows || performance.now() - startReal > 600_000) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const realSeconds = (performance.now() - startReal) / 1000;
    const ok = calls().filter((c) => c.status === 200);
    const span = ok.length > 1 ? (ok.at(-1)!.at - ok[0]!.at) / 60_000 : 0;
    // The first call opens the window: n calls span n − 1 intervals.
    const perMinute = span ? (ok.length - 1) / span : 0;
    return {
      rows,
      created: ok.length,
      realSeconds: round(realSeconds),
      perMinute: round(perMinute),
      ofLimit: round(perMinute / DOCUMENTED_PER_MINUTE),
      http429: calls().filter((c) => c.status === 429).length,
    };
  } finally {
    await sb.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const r = await run(Number(process.argv[2] ?? 300));
  console.log(`/bulk contacts × ${r.rows}, documented limit ${DOCUMENTED_PER_MINUTE}/min, time scale ${SCALE}`);
  console.table([r]);
  const pass = r.http429 === 0 && r.ofLimit >= 0.95 && r.created === r.rows;
  console.log(pass ? 'PASS: zero 429s and ≥ 95 % of the documented rate' : 'FAIL: see the row above');
  process.exitCode = pass ? 0 : 1;
}
