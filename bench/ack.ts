/**
 * The ack path, compared the way a user would: unique encrypted, signed im.message.receive_v1 pushes over loopback to
 *   ours    the whole bot (createBot: verify → persist to SQLite, WAL fdatasynced → 200), inbox workers running a no-op handler
 *   sdk     the official SDK's adaptExpress + EventDispatcher (verifies, persists nothing) with a no-op handler
 *   express a bare express JSON echo (no verification, nothing persisted): the ceiling of the HTTP stack
 * Each server runs in its own child process (bench/ack-server.ts) so the load generator does not share its event loop. A
 * short sweep finds the connection count at which each server is fastest (see SWEEP); rounds at those counts alternate,
 * then a fixed 1,000 events/s run against ours reports its p99. Every 2xx is checked against what the server counted
 * as a valid event, so a push the server rejected cannot pass for throughput. Ours acknowledges before its workers run
 * the handler, so a saturating round leaves a backlog: the next round starts only once it is drained (else it would
 * steal the next server's CPU), and the drain time is reported with the throughput it implies end to end.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import type { WirePush } from '../src/emulator/push.js';
import { KINDS, PATH, type Counts, type Kind } from './ack-server.js';
import { benchPush } from './pushes.js';
import { forkFlags } from './deployed.js';

export interface AckOptions {
  rounds?: number;
  roundSeconds?: number;
  /** Every server at this many connections; without it, each at the count where a short sweep found it fastest. */
  connections?: number;
  fixedRate?: number;
  fixedSeconds?: number;
}

interface Sample {
  reqPerSec: number;
  p50: number;
  p99: number;
  ok: number;
  bad: number;
  drainSeconds: number;
}
type Row = { kind: Kind; reqPerSec: number; p50: number; p99: number };

// ---- load (parent side) ----

interface Server {
  kind: Kind;
  url: string;
  proc: ChildProcess;
  count(): Promise<Counts>;
}

// Each server in its own process, started the way this file was (compiled: plain node; under tsx: tsx's loader).
const SERVER_ENTRY = fileURLToPath(
  new URL(`./ack-server${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
);

async function spawnServer(kind: Kind, dataDir: string): Promise<Server> {
  // Ours with the node flags `npm start` uses, as deployed.
  const proc = fork(SERVER_ENTRY, [kind, dataDir], {
    ...(kind === 'ours' ? { execArgv: forkFlags() } : {}),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [msg] = (await once(proc, 'message')) as [{ url: string }];
  const count = async () => {
    proc.send('count');
    const [m] = (await once(proc, 'message')) as [Counts];
    return m;
  };
  return { kind, url: msg.url, proc, count };
}

/** Unique events, encrypted and signed exactly as the emulator pushes them (compact JSON). */
function makeEvents(n: number): WirePush[] {
  const now = Date.now();
  return Array.from({ length: n }, () => benchPush(now));
}

async function load(
  server: Server,
  o: { seconds: number; connections: number; rate?: number; expected: number },
): Promise<Sample> {
  // Generated before the clock starts, with headroom; past it events are made on the fly (and counted in the run).
  let pool = makeEvents(Math.ceil(o.expected * 1.3));
  let i = 0;
  const next = () => {
    if (i >= pool.length) {
      pool = makeEvents(1000);
      i = 0;
    }
    return pool[i++]!;
  };
  const before = (await server.count()).count;
  const result = await autocannon({
    url: server.url + PATH,
    method: 'POST',
    connections: o.connections,
    duration: o.seconds,
    ...(o.rate ? { overallRate: o.rate } : {}),
    requests: [
      {
        setupRequest: (req) => {
          const p = next();
          return { ...req, method: 'POST', path: PATH, headers: p.headers, body: p.body };
        },
      },
    ],
  });
  const counted = (await server.count()).count - before;
  const ok = result['2xx'];
  // Wait for the workers to catch up (only ours has any), so their backlog is not run during the next round.
  const drainStarted = performance.now();
  while ((await server.count()).pending > 0) await new Promise((r) => setTimeout(r, 50));
  return {
    reqPerSec: ok / o.seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok,
    // Answered but not counted as a valid event by the server (e.g. a signature the SDK refused), or not 2xx.
    bad: Math.max(0, ok - counted) + result.non2xx + result.errors + result.timeouts,
    drainSeconds: (performance.now() - drainStarted) / 1000,
  };
}

/**
 * Throughput is a server's rate once it is saturated, and servers saturate at different loads: one that answers only
 * after a disk sync has more requests waiting for each answer (Little's law), so at 20 connections ours was held to
 * its latency, not its CPU, while express was already at its ceiling (docs/benchmarks.md, 2026-12-02 16:50). Each
 * server is measured at the connection count where it was fastest in a short sweep, the same rule for all three.
 */
const SWEEP = [10, 20, 50, 100, 200];
const SWEEP_SECONDS = 2;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number, d = 0) => n.toFixed(d).padStart(9);

export interface AckResult {
  rows: Row[];
  /** Median req/s ratios. */
  oursPerSdk: number;
  oursPerExpress: number;
  /** Peak resident set of each server process over all rounds, MB. */
  peakRssMb: Record<Kind, number>;
  fixedP99: number;
  /** Answers that were not valid acknowledged events (the rounds' and the fixed run's): any makes the figures suspect. */
  invalid: number;
}

export async function run(o: AckOptions = {}): Promise<AckResult> {
  const rounds = o.rounds ?? 5;
  const seconds = o.roundSeconds ?? 5;
  const fixedRate = o.fixedRate ?? 1000;
  const fixedSeconds = o.fixedSeconds ?? 10;
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-ack-'));
  const servers = await Promise.all(KINDS.map((k) => spawnServer(k, dataDir)));
  try {
    console.log(`ack path: ${rounds} rounds × ${seconds} s per server, loopback; SQLite in ${dataDir}`);
    console.log(
      '  the same unique encrypted, signed im.message.receive_v1 pushes to each; req/s counts verified 2xx answers:',
    );
    console.log(
      '  ours    = the whole bot: verify + persist (SQLite, WAL fdatasynced) before the 200; 8 inbox workers run a no-op handler',
    );
    console.log('  sdk     = adaptExpress + EventDispatcher: verify, no-op handler before the 200, nothing persisted');
    console.log('  express = JSON echo, nothing verified or persisted (ceiling of the HTTP stack)');
    const samples = new Map<Kind, Sample[]>(KINDS.map((k) => [k, []]));
    const guess = new Map<Kind, number>(KINDS.map((k) => [k, 10_000]));
    for (const s of servers) await load(s, { seconds: 1, connections: 20, expected: guess.get(s.kind)! }); // warm-up
    const connections = new Map<Kind, number>();
    if (o.connections) for (const k of KINDS) connections.set(k, o.connections);
    else {
      console.log(`  sweep, ${SWEEP_SECONDS} s each, req/s at${SWEEP.map((c) => fmt(c)).join('')} connections`);
      const rates = new Map<Kind, number[]>(KINDS.map((k) => [k, []]));
      // Level by level, the servers in turn, so a slow spell of the machine does not fall on one server's sweep.
      for (const c of SWEEP)
        for (const s of servers) {
          const sample = await load(s, { seconds: SWEEP_SECONDS, connections: c, expected: guess.get(s.kind)! * 2 });
          rates.get(s.kind)!.push(sample.reqPerSec);
        }
      for (const s of servers) {
        const r = rates.get(s.kind)!;
        const best = r.indexOf(Math.max(...r));
        connections.set(s.kind, SWEEP[best]!);
        guess.set(s.kind, r[best]!);
        console.log(`    ${s.kind.padEnd(31)}${r.map((x) => fmt(x)).join('')}  → ${SWEEP[best]}`);
      }
    }
    for (let r = 1; r <= rounds; r++) {
      // Rotate the order too, so no server always runs right after the same neighbour.
      for (const s of servers.map((_, j) => servers[(j + r - 1) % servers.length]!)) {
        const sample = await load(s, {
          seconds,
          connections: connections.get(s.kind)!,
          expected: guess.get(s.kind)! * seconds,
        });
        guess.set(s.kind, sample.reqPerSec);
        samples.get(s.kind)!.push(sample);
        const drain =
          sample.drainSeconds >= 0.1
            ? `  backlog drained in ${sample.drainSeconds.toFixed(1)} s (${(sample.ok / (seconds + sample.drainSeconds)).toFixed(0)} events/s acked and handled)`
            : '';
        console.log(
          `  round ${r} ${s.kind.padEnd(8)} ${fmt(sample.reqPerSec)} req/s  p50 ${sample.p50} ms  p99 ${sample.p99} ms${drain}${sample.bad ? `  ${sample.bad} NOT VALID` : ''}`,
        );
      }
    }
    const rows: Row[] = KINDS.map((kind) => {
      const s = samples.get(kind)!;
      return {
        kind,
        reqPerSec: median(s.map((x) => x.reqPerSec)),
        p50: median(s.map((x) => x.p50)),
        p99: median(s.map((x) => x.p99)),
      };
    });
    const by = (k: Kind) => rows.find((r) => r.kind === k)!;
    console.log('\n  server        req/s   p50 ms   p99 ms   connections   (median of rounds)');
    for (const r of rows)
      console.log(
        `  ${r.kind.padEnd(8)}${fmt(r.reqPerSec)}${fmt(r.p50, 1)}${fmt(r.p99, 1)}${fmt(connections.get(r.kind)!)}`,
      );
    const oursPerSdk = by('ours').reqPerSec / by('sdk').reqPerSec;
    const oursPerExpress = by('ours').reqPerSec / by('express').reqPerSec;
    console.log(`  ours / sdk     ${oursPerSdk.toFixed(2)}×`);
    console.log(`  ours / express ${oursPerExpress.toFixed(2)}×`);
    console.log(`  sdk / express  ${(by('sdk').reqPerSec / by('express').reqPerSec).toFixed(2)}×`);
    // Round by round, so the reader sees how far one quiet or busy spell moves a ratio.
    const perRound = (k: Kind) => {
      const ratios = samples.get('ours')!.map((o, r) => o.reqPerSec / samples.get(k)![r]!.reqPerSec);
      return `${ratios.map((x) => x.toFixed(2)).join(', ')} (median ${median(ratios).toFixed(2)})`;
    };
    console.log(`  each round: ours / sdk ${perRound('sdk')}; ours / express ${perRound('express')}`);
    const peaks = await Promise.all(servers.map(async (s) => [s.kind, (await s.count()).peakRssMb] as const));
    const peakRssMb = Object.fromEntries(peaks) as Record<Kind, number>;
    console.log(`  peak RSS over the rounds: ${peaks.map(([k, mb]) => `${k} ${mb.toFixed(0)} MB`).join(', ')}`);
    const invalid = [...samples.values()].flat().reduce((n, s) => n + s.bad, 0);
    if (invalid)
      console.log(`  WARNING: ${invalid} answers were not valid acknowledged events: the figures above overstate`);

    const fixed = await load(servers[0]!, {
      seconds: fixedSeconds,
      connections: 10,
      rate: fixedRate,
      expected: fixedRate * fixedSeconds,
    });
    console.log(
      `\n  ours at a fixed ${fixedRate} events/s for ${fixedSeconds} s: ${fmt(fixed.reqPerSec).trim()} req/s, p50 ${fixed.p50} ms, p99 ${fixed.p99} ms${fixed.bad ? `, ${fixed.bad} NOT VALID` : ''}`,
    );
    return { rows, oursPerSdk, oursPerExpress, peakRssMb, fixedP99: fixed.p99, invalid: invalid + fixed.bad };
  } finally {
    for (const s of servers) {
      s.proc.send('stop');
      await Promise.race([once(s.proc, 'exit'), new Promise((r) => setTimeout(r, 15_000))]);
      if (s.proc.exitCode === null) s.proc.kill('SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}
