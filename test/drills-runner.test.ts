/**
 * The drills runner (`npm run drills`): a drill that loses work or throws makes the run exit non-zero with its row
 * marked, an unknown drill name runs nothing, and no process a drill started outlives the run, whether the drill
 * threw or the run was interrupted. And the hostile-requests drill, which must take a connection the bot closes on
 * an oversized body as the refusal it is.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { endDrill, freshWorld, post, secrets, streamOf, workDir } from '../scripts/drills/kit.js';
import { signPush } from '../src/emulator/push.js';
import { eventually } from './helpers/provisioning.js';

/** A runner and a bot process, each loading TypeScript through tsx, on a shared two-core machine. */
const PROCESS_TEST_MS = 90_000;

interface Ended {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `script` with DRILLS=`drills`; `started` resolves with the pid a fixture drill prints once its bot is up. */
function runner(script: string, drills: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    env: { ...process.env, DRILLS: drills, DRILLS_KEEP: '' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let onStarted: (pid: number) => void;
  const started = new Promise<number>((resolve) => (onStarted = resolve));
  child.stdout.on('data', (b: Buffer) => (stdout += String(b)));
  child.stderr.on('data', (b: Buffer) => {
    stderr += String(b);
    const pid = /STARTED (\d+)/.exec(stderr)?.[1];
    if (pid) onStarted(Number(pid));
  });
  const ended = new Promise<Ended>((resolve) =>
    child.once('close', (code) => {
      // A failed run keeps its logs and data for inspection: not these.
      const kept = /logs and data in (\S+)/.exec(stdout)?.[1];
      if (kept) rmSync(kept, { recursive: true, force: true });
      resolve({ code, stdout, stderr });
    }),
  );
  return { child, started, ended };
}

const FIXTURE = join(import.meta.dirname, 'helpers/drill-runner.ts');

function stat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state = '', ppid = '0'] = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { state, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

/** A zombie has ended; only its parent has not looked yet. */
const alive = (pid: number) => (stat(pid)?.state ?? 'Z') !== 'Z';

/** Every process below `pid`: children, their children… */
function descendants(pid: number): number[] {
  const parents = readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map((e) => [Number(e), stat(Number(e))?.ppid] as const);
  const found: number[] = [];
  for (let level = [pid]; level.length;) {
    level = parents.filter(([, ppid]) => ppid !== undefined && level.includes(ppid)).map(([p]) => p);
    found.push(...level);
  }
  return found;
}

/** The table line of a drill: its mark, then its cells. */
const line = (stdout: string, drill: string) => stdout.split('\n').find((l) => l.includes(`| ${drill} |`)) ?? '';

describe('the drills runner', () => {
  it(
    'refuses an unknown drill name with exit 2, naming the known ones, and runs nothing',
    async () => {
      const { ended } = runner(join(import.meta.dirname, '../scripts/drills.ts'), 'crash,no-such-drill');
      const r = await ended;
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('unknown drill "no-such-drill"');
      expect(r.stderr).toMatch(/fuzz, hostile, crash, .*signin-mail, onboarding, websocket, redis, hostile-strings/);
      expect(r.stderr).not.toContain('drill: crash');
      expect(r.stdout).toBe('');
    },
    PROCESS_TEST_MS,
  );

  it(
    'exits 1 when a drill loses work, marking its row and not the passing one',
    async () => {
      const r = await runner(FIXTURE, 'passes,loses').ended;
      expect(r.code).toBe(1);
      expect(line(r.stdout, 'passes')).toMatch(/^\| ✓ \|/);
      expect(line(r.stdout, 'loses a command')).toMatch(/^\| ✗ \|/);
    },
    PROCESS_TEST_MS,
  );

  it(
    'marks a drill that throws, exits 1, and leaves none of the processes it started running',
    async () => {
      const run = runner(FIXTURE, 'throws');
      const bot = await run.started;
      const started = descendants(run.child.pid!);
      expect(started).toContain(bot);
      run.child.stdin.write('go\n');
      const r = await run.ended;
      expect(r.code).toBe(1);
      expect(line(r.stdout, 'throws')).toMatch(/^\| ✗ \| throws \| DRILLS=throws \|( 0 \|){6} 1 \|$/);
      expect(r.stdout).toContain('drill crashed: the drill broke');
      await eventually(() => expect(started.filter(alive)).toEqual([]));
    },
    PROCESS_TEST_MS,
  );

  it(
    'on SIGINT kills the processes of the drill under way, marks it, prints the rows so far and exits 130',
    async () => {
      const run = runner(FIXTURE, 'passes,hangs');
      const bot = await run.started;
      const started = descendants(run.child.pid!);
      expect(started).toContain(bot);
      run.child.kill('SIGINT');
      const r = await run.ended;
      expect(r.code).toBe(130);
      expect(line(r.stdout, 'passes')).toMatch(/^\| ✓ \|/);
      expect(line(r.stdout, 'hangs')).toMatch(/^\| ✗ \| hangs \|/);
      expect(r.stdout).toContain('interrupted by SIGINT');
      await eventually(() => expect(started.filter(alive)).toEqual([]));
    },
    PROCESS_TEST_MS,
  );
});

describe('the hostile-requests drill', () => {
  it(
    "takes a bot's answer to an oversized body still being sent, 413 or a closed connection, as an answer: POST never rejects",
    async () => {
      const { bot } = await freshWorld();
      try {
        const { headers } = signPush('{}', secrets.encryptKey);
        const answers = new Set<number | string>();
        for (let i = 0; i < 20; i++)
          answers.add(await post(`${bot.url}/webhook/event`, streamOf(8 * 1024 * 1024), headers));
        expect([...answers].filter((a) => a !== 413 && a !== 'EPIPE' && a !== 'ECONNRESET')).toEqual([]);
      } finally {
        await endDrill();
        rmSync(workDir(), { recursive: true, force: true });
      }
    },
    PROCESS_TEST_MS,
  );

  it(
    'counts an oversized body refused by a closed connection as refused, instead of crashing on "fetch failed"',
    async () => {
      const r = await runner(join(import.meta.dirname, '../scripts/drills.ts'), 'hostile').ended;
      expect(r.stdout).not.toContain('drill crashed');
      expect(line(r.stdout, 'hostile requests (10 classes × 10)')).toMatch(
        /^\| ✓ \| hostile requests \(10 classes × 10\) \| DRILLS=hostile \| 100 \|( 0 \|){4} 100 \| 0 \|$/,
      );
      expect(r.code).toBe(0);
    },
    PROCESS_TEST_MS,
  );
});
