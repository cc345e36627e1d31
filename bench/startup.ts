/**
 * Start to ready and idle memory, ours against the SDK's recommended bot (bench/sdk-bot.ts), both compiled and
 * started with `node` and app credentials, in alternating runs:
 *   ours  node <npm start's flags> dist/src/main.js   (what `npm start` runs after its build)
 *   sdk   node dist/bench/sdk-bot.js
 * Ready = the first 200 from GET /healthz, timed from the spawn; idle RSS = the resident set of the process tree
 * after it has sat idle for a while. The Open API domain is a closed loopback port: neither bot calls it at start.
 *
 *   node dist/bench/startup.js [runs]      or   import { run } from './startup.js'
 */
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { ROOT, startFlags } from './deployed.js';

const KINDS = {
  ours: [...startFlags(), join(ROOT, 'dist/src/main.js')],
  sdk: [join(ROOT, 'dist/bench/sdk-bot.js')],
} as const;
type Kind = keyof typeof KINDS;

export interface StartOptions {
  runs?: number;
  /** How long a bot sits after its first 200 before its RSS is read. */
  idleMs?: number;
}

export interface StartSample {
  readyMs: number;
  idleRssMb: number;
}

const freePort = () =>
  new Promise<number>((res, rej) => {
    const s = createServer()
      .once('error', rej)
      .listen(0, '127.0.0.1', () => {
        const { port } = s.address() as AddressInfo;
        s.close(() => res(port));
      });
  });

/** Resident set of a process and its descendants, in MB (ps works on Linux and macOS). */
function treeRssMb(root: number): number {
  const rows = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,rss='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number) as [number, number, number]);
  const pids = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, ppid] of rows)
      if (pids.has(ppid) && !pids.has(pid)) {
        pids.add(pid);
        grew = true;
      }
  }
  return rows.filter(([pid]) => pids.has(pid)).reduce((kb, [, , rss]) => kb + rss, 0) / 1024;
}

/** One start: spawn, poll /healthz until 200, idle, read RSS, SIGTERM. */
export async function measureStart(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  idleMs: number,
): Promise<StartSample> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-start-'));
  const started = performance.now();
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
      PATH: process.env.PATH,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${proc.exitCode} before it was ready`);
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (performance.now() - started > 30_000) throw new Error(`${args.join(' ')} not ready after 30 s`);
      await pause(5);
    }
    const readyMs = performance.now() - started;
    await pause(idleMs);
    return { readyMs, idleRssMb: treeRssMb(proc.pid!) };
  } finally {
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');
      await Promise.race([once(proc, 'exit'), pause(10_000)]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const CREDENTIALS = {
  FEISHU_APP_ID: 'cli_a1b2c3d4e5f6a7b8',
  FEISHU_APP_SECRET: 'bench-app-secret',
  FEISHU_ENCRYPT_KEY: 'bench-encrypt-key-7Rq',
  FEISHU_VERIFICATION_TOKEN: 'bench-vtoken-K2p',
  PUBLIC_URL: 'https://bot.example.com',
  TOKEN_ENCRYPTION_KEY: '0123456789abcdef'.repeat(4),
  // Port 9 (discard) is closed on loopback: a call at start-up would fail, not hang.
  FEISHU_DOMAIN: 'http://127.0.0.1:9',
  METRICS_TOKEN: 'bench-metrics-token-0123456789',
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export interface StartResult {
  /** Medians per bot. */
  ours: StartSample;
  sdk: StartSample;
  /** Median over runs of ours / sdk within a run: the two start back to back, so a busy spell hits both. */
  readyRatio: number;
  rssRatio: number;
}

export async function run(o: StartOptions = {}): Promise<StartResult> {
  const runs = o.runs ?? 5;
  const idleMs = o.idleMs ?? 3000;
  const samples = new Map<Kind, StartSample[]>([
    ['ours', []],
    ['sdk', []],
  ]);
  console.log(
    `start-up: ${runs} alternating starts each, with credentials; ready = first 200 from /healthz; RSS after ${idleMs / 1000} s idle`,
  );
  for (let r = 1; r <= runs; r++) {
    for (const kind of (r % 2 ? ['ours', 'sdk'] : ['sdk', 'ours']) as Kind[]) {
      const s = await measureStart(KINDS[kind], CREDENTIALS, idleMs);
      samples.get(kind)!.push(s);
      console.log(
        `  run ${r} ${kind.padEnd(5)} ready ${s.readyMs.toFixed(0).padStart(5)} ms   idle RSS ${s.idleRssMb.toFixed(1).padStart(6)} MB`,
      );
    }
  }
  const of = (kind: Kind): StartSample => {
    const s = samples.get(kind)!;
    return { readyMs: median(s.map((x) => x.readyMs)), idleRssMb: median(s.map((x) => x.idleRssMb)) };
  };
  const medians = { ours: of('ours'), sdk: of('sdk') };
  const ratio = (field: keyof StartSample) =>
    median(samples.get('ours')!.map((s, i) => s[field] / samples.get('sdk')![i]![field]));
  const results = { ...medians, readyRatio: ratio('readyMs'), rssRatio: ratio('idleRssMb') };
  console.log('\n  bot    ready ms   idle RSS MB   (median)');
  for (const [kind, r] of Object.entries(medians))
    console.log(`  ${kind.padEnd(5)}${r.readyMs.toFixed(0).padStart(10)}${r.idleRssMb.toFixed(1).padStart(14)}`);
  console.log(
    `  ours / sdk, median of the runs' ratios: ready ${results.readyRatio.toFixed(2)}×, idle RSS ${results.rssRatio.toFixed(2)}×`,
  );
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run({ runs: Number(process.argv[2] ?? 5) });
}
