/**
 * The ack path, compared the way a user would: unique encrypted, signed im.message.receive_v1 pushes over loopback to
 *   ours    createServer (verify → persist to SQLite, synchronous=FULL → 200), inbox workers running a no-op handler
 *   sdk     the official SDK's adaptExpress + EventDispatcher (verifies, persists nothing) with a no-op handler
 *   express a bare express JSON echo (no verification, nothing persisted): the ceiling of the HTTP stack
 * Each server runs in its own child process so the load generator does not share its event loop. Rounds alternate,
 * then a fixed 1,000 events/s run against ours reports its p99. Every 2xx is checked against what the server counted
 * as a valid event, so a push the server rejected cannot pass for throughput. Ours acknowledges before its workers run
 * the handler, so a saturating round leaves a backlog: the next round starts only once it is drained (else it would
 * steal the next server's CPU), and the drain time is reported with the throughput it implies end to end.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as lark from '@larksuiteoapi/node-sdk';
import autocannon from 'autocannon';
import express from 'express';
import { parseConfig } from '../src/config.js';
import { buildPush, type WirePush } from '../src/emulator/push.js';
import { silentLogger } from '../src/log.js';
import { createMetrics } from '../src/metrics.js';
import { createServer } from '../src/server.js';
import { SqliteStore } from '../src/store/sqlite.js';

const KINDS = ['ours', 'sdk', 'express'] as const;
type Kind = (typeof KINDS)[number];

const ENCRYPT_KEY = 'bench-encrypt-key-7Rq';
const VERIFICATION_TOKEN = 'bench-vtoken-K2p';
const PATH = '/webhook/event';

export interface AckOptions {
  rounds?: number;
  roundSeconds?: number;
  connections?: number;
  fixedRate?: number;
  fixedSeconds?: number;
}

interface Sample { reqPerSec: number; p50: number; p99: number; ok: number; bad: number; drainSeconds: number }
type Row = { kind: Kind; reqPerSec: number; p50: number; p99: number };

// ---- servers (child side) ----

interface Served { url: string; counted: () => Promise<number>; pending: () => Promise<number>; close: () => Promise<void> }

async function serve(kind: Kind, dataDir: string): Promise<Served> {
  const app = express();
  app.disable('x-powered-by');
  let count = 0;
  if (kind === 'ours') {
    const config = parseConfig({}, { FEISHU_ENCRYPT_KEY: ENCRYPT_KEY, FEISHU_VERIFICATION_TOKEN: VERIFICATION_TOKEN });
    const store = new SqliteStore(join(dataDir, 'bot.sqlite'));
    const metrics = createMetrics();
    const server = createServer({
      config, store, metrics, logger: silentLogger,
      handler: { handleEvent: async () => {}, handleCard: async () => ({ response: {} }) },
    });
    const { url } = await server.listen(0, '127.0.0.1');
    const accepted = async () => (await metrics.eventsAccepted.get()).values.reduce((n, v) => n + v.value, 0);
    return { url, counted: accepted, pending: () => server.inbox.depth(), close: async () => { await server.shutdown(); await store.close(); } };
  }
  if (kind === 'sdk') {
    const dispatcher = new lark.EventDispatcher({ encryptKey: ENCRYPT_KEY, verificationToken: VERIFICATION_TOKEN, loggerLevel: lark.LoggerLevel.error })
      .register({ 'im.message.receive_v1': async () => { count += 1; } });
    app.post(PATH, express.json(), lark.adaptExpress(dispatcher, { autoChallenge: true }));
  } else {
    app.post(PATH, express.json(), (req, res) => {
      if (typeof (req.body as { encrypt?: unknown }).encrypt === 'string') count += 1;
      res.json({ msg: 'success' });
    });
  }
  const server = await new Promise<HttpServer>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, counted: async () => count, pending: async () => 0, close: () => new Promise((r) => server.close(() => r())) };
}

/** Child entry: serve one kind, answer "count" over IPC. */
async function child(kind: Kind, dataDir: string): Promise<void> {
  const served = await serve(kind, dataDir);
  process.on('message', (m: string) => {
    if (m === 'count') void Promise.all([served.counted(), served.pending()]).then(([count, pending]) => process.send!({ count, pending }));
    if (m === 'stop') void served.close().then(() => process.exit(0));
  });
  process.send!({ url: served.url });
}

// ---- load (parent side) ----

interface Server { kind: Kind; url: string; proc: ChildProcess; count(): Promise<{ count: number; pending: number }> }

async function spawnServer(kind: Kind, dataDir: string): Promise<Server> {
  const proc = fork(fileURLToPath(import.meta.url), ['serve', kind, dataDir], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [msg] = (await once(proc, 'message')) as [{ url: string }];
  const count = async () => {
    proc.send('count');
    const [m] = (await once(proc, 'message')) as [{ count: number; pending: number }];
    return m;
  };
  return { kind, url: msg.url, proc, count };
}

let seq = 0;
/** Unique events, encrypted and signed exactly as the emulator pushes them (compact JSON). */
function makeEvents(n: number): WirePush[] {
  const now = Date.now();
  return Array.from({ length: n }, () => {
    const id = `${process.pid}_${++seq}`;
    return buildPush({
      schema: '2.0',
      header: {
        event_id: `ev_${id}`, token: VERIFICATION_TOKEN, create_time: String(now), event_type: 'im.message.receive_v1',
        tenant_key: 'bench_tenant', app_id: 'cli_a1b2c3d4e5f6a7b8',
      },
      event: {
        sender: { sender_id: { open_id: 'ou_bench' }, sender_type: 'user', tenant_key: 'bench_tenant' },
        message: {
          message_id: `om_${id}`, create_time: String(now), chat_id: 'oc_bench', chat_type: 'p2p', message_type: 'text',
          content: JSON.stringify({ text: '/help' }),
        },
      },
    }, { encryptKey: ENCRYPT_KEY }, now);
  });
}

async function load(server: Server, o: { seconds: number; connections: number; rate?: number; expected: number }): Promise<Sample> {
  // Generated before the clock starts, with headroom; past it events are made on the fly (and counted in the run).
  let pool = makeEvents(Math.ceil(o.expected * 1.3));
  let i = 0;
  const next = () => {
    if (i >= pool.length) { pool = makeEvents(1000); i = 0; }
    return pool[i++]!;
  };
  const before = (await server.count()).count;
  const result = await autocannon({
    url: server.url + PATH,
    method: 'POST',
    connections: o.connections,
    duration: o.seconds,
    ...(o.rate ? { overallRate: o.rate } : {}),
    requests: [{ setupRequest: (req) => { const p = next(); return { ...req, method: 'POST', path: PATH, headers: p.headers, body: p.body }; } }],
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

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number, d = 0) => n.toFixed(d).padStart(9);

export async function run(o: AckOptions = {}): Promise<{ rows: Row[]; fixedP99: number }> {
  const rounds = o.rounds ?? 3;
  const seconds = o.roundSeconds ?? 5;
  const connections = o.connections ?? 20;
  const fixedRate = o.fixedRate ?? 1000;
  const fixedSeconds = o.fixedSeconds ?? 10;
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-ack-'));
  const servers = await Promise.all(KINDS.map((k) => spawnServer(k, dataDir)));
  try {
    console.log(`ack path: ${rounds} rounds × ${seconds} s per server, ${connections} connections, loopback; SQLite in ${dataDir}`);
    console.log('  the same unique encrypted, signed im.message.receive_v1 pushes to each; req/s counts verified 2xx answers:');
    console.log('  ours    = verify + persist (SQLite, synchronous=FULL) before the 200; 8 inbox workers run a no-op handler');
    console.log('  sdk     = adaptExpress + EventDispatcher: verify, no-op handler before the 200, nothing persisted');
    console.log('  express = JSON echo, nothing verified or persisted (ceiling of the HTTP stack)');
    const samples = new Map<Kind, Sample[]>(KINDS.map((k) => [k, []]));
    const guess = new Map<Kind, number>(KINDS.map((k) => [k, 10_000]));
    for (const s of servers) await load(s, { seconds: 1, connections, expected: guess.get(s.kind)! }); // warm-up
    for (let r = 1; r <= rounds; r++) {
      // Rotate the order too, so no server always runs right after the same neighbour.
      for (const s of servers.map((_, j) => servers[(j + r - 1) % servers.length]!)) {
        const sample = await load(s, { seconds, connections, expected: guess.get(s.kind)! * seconds });
        guess.set(s.kind, sample.reqPerSec);
        samples.get(s.kind)!.push(sample);
        const drain = sample.drainSeconds >= 0.1
          ? `  backlog drained in ${sample.drainSeconds.toFixed(1)} s (${(sample.ok / (seconds + sample.drainSeconds)).toFixed(0)} events/s acked and handled)`
          : '';
        console.log(`  round ${r} ${s.kind.padEnd(8)} ${fmt(sample.reqPerSec)} req/s  p50 ${sample.p50} ms  p99 ${sample.p99} ms${drain}${sample.bad ? `  ${sample.bad} NOT VALID` : ''}`);
      }
    }
    const rows: Row[] = KINDS.map((kind) => {
      const s = samples.get(kind)!;
      return { kind, reqPerSec: median(s.map((x) => x.reqPerSec)), p50: median(s.map((x) => x.p50)), p99: median(s.map((x) => x.p99)) };
    });
    const by = (k: Kind) => rows.find((r) => r.kind === k)!;
    console.log('\n  server        req/s   p50 ms   p99 ms   (median of rounds)');
    for (const r of rows) console.log(`  ${r.kind.padEnd(8)}${fmt(r.reqPerSec)}${fmt(r.p50, 1)}${fmt(r.p99, 1)}`);
    console.log(`  ours / sdk     ${(by('ours').reqPerSec / by('sdk').reqPerSec).toFixed(2)}×   (target ≥ 1.00)`);
    console.log(`  ours / express ${(by('ours').reqPerSec / by('express').reqPerSec).toFixed(2)}×`);
    console.log(`  sdk / express  ${(by('sdk').reqPerSec / by('express').reqPerSec).toFixed(2)}×`);
    const invalid = [...samples.values()].flat().reduce((n, s) => n + s.bad, 0);
    if (invalid) console.log(`  WARNING: ${invalid} answers were not valid acknowledged events: the figures above overstate`);

    const fixed = await load(servers[0]!, { seconds: fixedSeconds, connections: 10, rate: fixedRate, expected: fixedRate * fixedSeconds });
    console.log(`\n  ours at a fixed ${fixedRate} events/s for ${fixedSeconds} s: ${fmt(fixed.reqPerSec).trim()} req/s, p50 ${fixed.p50} ms, p99 ${fixed.p99} ms (target ≤ 20 ms)${fixed.bad ? `, ${fixed.bad} NOT VALID` : ''}`);
    return { rows, fixedP99: fixed.p99 };
  } finally {
    for (const s of servers) {
      s.proc.send('stop');
      await Promise.race([once(s.proc, 'exit'), new Promise((r) => setTimeout(r, 15_000))]);
      if (s.proc.exitCode === null) s.proc.kill('SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'serve') {
  const [kind, dataDir] = [process.argv[3] as Kind, process.argv[4]];
  if (!KINDS.includes(kind) || !dataDir) throw new Error(`usage: ack.ts serve <${KINDS.join('|')}> <dataDir>`);
  await child(kind, dataDir);
}
