/**
 * Start to ready and idle memory, ours against the SDK's recommended bot (bench/sdk-bot.ts), all with app credentials,
 * in alternating runs:
 *   npm start  `npm start` as a user types it: npm, its build step (nothing to rebuild: `npm run bench`
 *              built first), then the bot; ready time only (npm's own process would count in the memory)
 *   ours       node <npm start's flags> dist/src/main.js   (the bot alone, as deployed: ready time and memory)
 *   sdk        node dist/bench/sdk-bot.js
 * Ready = the first 200 from GET /healthz, timed from the spawn; idle RSS = the resident set of the process tree
 * after it has sat idle for a while. The Open API domain is a closed loopback port: no bot calls it at start.
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

/** A command to spawn, and whether its idle memory is measured. */
interface Command {
  file: string;
  args: readonly string[];
  memory: boolean;
}

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const KINDS = {
  'npm start': { file: npm, args: ['start'], memory: false },
  ours: { file: process.execPath, args: [...startFlags(), join(ROOT, 'dist/src/main.js')], memory: true },
  sdk: { file: process.execPath, args: [join(ROOT, 'dist/bench/sdk-bot.js')], memory: true },
} satisfies Record<string, Command>;
type Kind = keyof typeof KINDS;

export interface StartOptions {
  runs?: number;
  /** How long a bot sits after its first 200 before its RSS is read. */
  idleMs?: number;
}

export interface StartSample {
  readyMs: number;
  /** Not measured for `npm start`. */
  idleRssMb: number;
}

export const freePort = () =>
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

/** One start: spawn (in a process group of its own), poll /healthz until 200, idle, read RSS, SIGTERM the group. */
export async function measureStart(cmd: Command, env: NodeJS.ProcessEnv, idleMs: number): Promise<StartSample> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-start-'));
  const what = [cmd.file, ...cmd.args].join(' ');
  const started = performance.now();
  const proc = spawn(cmd.file, cmd.args, {
    cwd: ROOT,
    env: {
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
      PATH: process.env.PATH,
      // npm reads its cache and config from HOME.
      ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
    },
    // npm runs the bot as a grandchild: the whole group is signalled at the end.
    detached: true,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = once(proc, 'exit');
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-proc.pid!, s);
    } catch {
      // The group is gone already.
    }
  };
  try {
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`${what} exited with ${proc.exitCode} before it was ready`);
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (performance.now() - started > 30_000) throw new Error(`${what} not ready after 30 s`);
      await pause(5);
    }
    const readyMs = performance.now() - started;
    if (!cmd.memory) return { readyMs, idleRssMb: Number.NaN };
    await pause(idleMs);
    return { readyMs, idleRssMb: treeRssMb(proc.pid!) };
  } finally {
    signal('SIGTERM');
    if (proc.exitCode === null && proc.signalCode === null) await Promise.race([exited, pause(10_000)]);
    signal('SIGKILL');
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
  /** Medians per command. */
  npmStart: StartSample;
  ours: StartSample;
  sdk: StartSample;
  /**
   * Median over runs of x / sdk within a run (they start back to back, so a busy spell hits all): `npm start` as
   * written, build step included, and the compiled bot alone.
   */
  npmStartRatio: number;
  readyRatio: number;
  rssRatio: number;
}

export async function run(o: StartOptions = {}): Promise<StartResult> {
  const runs = o.runs ?? 5;
  const idleMs = o.idleMs ?? 3000;
  const kinds = Object.keys(KINDS) as Kind[];
  const samples = new Map<Kind, StartSample[]>(kinds.map((k) => [k, []]));
  console.log(
    `start-up: ${runs} alternating starts each, with credentials; ready = first 200 from /healthz; RSS after ${idleMs / 1000} s idle`,
  );
  for (let r = 1; r <= runs; r++) {
    for (const kind of r % 2 ? kinds : [...kinds].reverse()) {
      const s = await measureStart(KINDS[kind], CREDENTIALS, idleMs);
      samples.get(kind)!.push(s);
      const rss = Number.isNaN(s.idleRssMb) ? '' : `   idle RSS ${s.idleRssMb.toFixed(1).padStart(6)} MB`;
      console.log(`  run ${r} ${kind.padEnd(9)} ready ${s.readyMs.toFixed(0).padStart(5)} ms${rss}`);
    }
  }
  const of = (kind: Kind): StartSample => {
    const s = samples.get(kind)!;
    return { readyMs: median(s.map((x) => x.readyMs)), idleRssMb: median(s.map((x) => x.idleRssMb)) };
  };
  const ratio = (kind: Kind, field: keyof StartSample) =>
    median(samples.get(kind)!.map((s, i) => s[field] / samples.get('sdk')![i]![field]));
  const results: StartResult = {
    npmStart: of('npm start'),
    ours: of('ours'),
    sdk: of('sdk'),
    npmStartRatio: ratio('npm start', 'readyMs'),
    readyRatio: ratio('ours', 'readyMs'),
    rssRatio: ratio('ours', 'idleRssMb'),
  };
  console.log('\n  command     ready ms   idle RSS MB   (median)');
  for (const kind of kinds) {
    const m = of(kind);
    const rss = Number.isNaN(m.idleRssMb) ? '—' : m.idleRssMb.toFixed(1);
    console.log(`  ${kind.padEnd(9)}${m.readyMs.toFixed(0).padStart(11)}${rss.padStart(14)}`);
  }
  console.log(
    `  / sdk, median of the runs' ratios: npm start ready ${results.npmStartRatio.toFixed(2)}×; ` +
      `the bot alone ready ${results.readyRatio.toFixed(2)}×, idle RSS ${results.rssRatio.toFixed(2)}×`,
  );
  return results;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run({ runs: Number(process.argv[2] ?? 5) });
}
