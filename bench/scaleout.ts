/**
 * Scale-out, measured on the ack path: unique encrypted, signed im.message.receive_v1 pushes over loopback to
 *   sqlite×1  one instance on SQLite (the default)
 *   redis×1   one instance on Redis (redis-server with appendonly, appendfsync always: the durability the README asks)
 *   redis×2   two instances on one Redis, the load split evenly between them (a balancer in front)
 * Each instance is its own child process running createServer with a no-op handler; redis-server is one more
 * process. Each round loads a deployment, then waits until its workers have drained the backlog, and reports the
 * acked req/s, p50/p99 and the end-to-end rate (acked and handled). Rounds alternate between deployments.
 * The machine's cores are printed with the figures: the load generator, every instance and redis-server share them.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { parseConfig } from '../src/config.js';
import type { WirePush } from '../src/emulator/push.js';
import { silentLogger } from '../src/log.js';
import { createMetrics } from '../src/metrics.js';
import { createServer } from '../src/server.js';
import { openStore } from '../src/store/index.js';
import { startRedis } from '../test/helpers/redis-server.js';
import { ENCRYPT_KEY, VERIFICATION_TOKEN } from './ack-server.js';
import { benchPush } from './pushes.js';

const PATH = '/webhook/event';

type Deployment = 'sqlite×1' | 'redis×1' | 'redis×2';

export interface ScaleoutOptions {
  rounds?: number;
  roundSeconds?: number;
  /** Connections in total, split over the instances. */
  connections?: number;
}

// ---- instance (child side) ----

async function child(dataDir: string, redisUrl: string, prefix: string): Promise<void> {
  const env = {
    FEISHU_ENCRYPT_KEY: ENCRYPT_KEY,
    FEISHU_VERIFICATION_TOKEN: VERIFICATION_TOKEN,
    ...(redisUrl ? { REDIS_URL: redisUrl, REDIS_PREFIX: prefix } : {}),
  };
  const config = parseConfig({}, env);
  const store = await openStore(config, dataDir);
  const metrics = createMetrics();
  const server = createServer({
    config,
    store,
    metrics,
    logger: silentLogger,
    handler: { handleEvent: async () => {}, handleCard: async () => ({ response: {} }) },
  });
  const { url } = await server.listen(0, '127.0.0.1');
  process.on('message', (m: string) => {
    if (m === 'pending') void server.inbox.depth().then((pending) => process.send!({ pending }));
    if (m === 'stop')
      void server
        .shutdown()
        .then(() => store.close())
        .then(() => process.exit(0));
  });
  process.send!({ url });
}

// ---- load (parent side) ----

interface Instance {
  url: string;
  proc: ChildProcess;
  pending(): Promise<number>;
}

async function spawnInstance(dataDir: string, redisUrl = '', prefix = ''): Promise<Instance> {
  const proc = fork(fileURLToPath(import.meta.url), ['serve', dataDir, redisUrl, prefix], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [msg] = (await once(proc, 'message')) as [{ url: string }];
  return {
    url: msg.url,
    proc,
    pending: async () => {
      proc.send('pending');
      const [m] = (await once(proc, 'message')) as [{ pending: number }];
      return m.pending;
    },
  };
}

const nextEvent = (): WirePush => benchPush();

interface Sample {
  acked: number;
  p50: number;
  p99: number;
  bad: number;
  endToEnd: number;
}

/** Loads every instance at once (connections split evenly), then waits for the shared backlog to drain. */
async function load(instances: Instance[], seconds: number, connections: number): Promise<Sample> {
  // Made ahead so the generator's crypto does not run inside the measured window.
  const pool = Array.from({ length: 40_000 }, nextEvent);
  let i = 0;
  const take = () => pool[i++ % pool.length]!; // past the pool events repeat, and are answered as duplicates
  const started = performance.now();
  const results = await Promise.all(
    instances.map((inst) =>
      autocannon({
        url: inst.url + PATH,
        method: 'POST',
        connections: Math.max(1, Math.round(connections / instances.length)),
        duration: seconds,
        requests: [
          {
            setupRequest: (req) => {
              const p = take();
              return { ...req, method: 'POST', path: PATH, headers: p.headers, body: p.body };
            },
          },
        ],
      }),
    ),
  );
  while ((await instances[0]!.pending()) > 0) await new Promise((r) => setTimeout(r, 50));
  const total = (performance.now() - started) / 1000;
  const ok = results.reduce((n, r) => n + r['2xx'], 0);
  return {
    acked: ok / seconds,
    // Latency percentiles of the busier instance: what a push there waited.
    p50: Math.max(...results.map((r) => r.latency.p50)),
    p99: Math.max(...results.map((r) => r.latency.p99)),
    bad: results.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0) + (i > pool.length ? i - pool.length : 0),
    endToEnd: Math.min(ok, pool.length) / total,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(
  o: ScaleoutOptions = {},
): Promise<Record<Deployment, { ackedPerSec: number; p50: number; p99: number; endToEndPerSec: number }>> {
  const rounds = o.rounds ?? 3;
  const seconds = o.roundSeconds ?? 5;
  const connections = o.connections ?? 20;
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-scaleout-'));
  const redis = await startRedis();
  const deployments: Record<Deployment, Instance[]> = {
    'sqlite×1': [await spawnInstance(dataDir)],
    'redis×1': [await spawnInstance(dataDir, redis.url, 'bench-one')],
    'redis×2': await Promise.all([
      spawnInstance(dataDir, redis.url, 'bench-two'),
      spawnInstance(dataDir, redis.url, 'bench-two'),
    ]),
  };
  const names = Object.keys(deployments) as Deployment[];
  try {
    console.log(
      `scale-out: ${rounds} rounds × ${seconds} s per deployment, ${connections} connections in total, loopback`,
    );
    console.log(
      `  machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} at start;`,
    );
    console.log('  the load generator, each instance and redis-server (appendfsync always) all share those cores');
    const samples = new Map<Deployment, Sample[]>(names.map((n) => [n, []]));
    for (const n of names) await load(deployments[n], 1, connections); // warm-up
    for (let r = 1; r <= rounds; r++) {
      for (const n of names.map((_, j) => names[(j + r - 1) % names.length]!)) {
        const s = await load(deployments[n], seconds, connections);
        samples.get(n)!.push(s);
        console.log(
          `  round ${r} ${n.padEnd(9)} ${s.acked.toFixed(0).padStart(7)} acked/s  p50 ${s.p50} ms  p99 ${s.p99} ms  ${s.endToEnd.toFixed(0)} events/s acked and handled${s.bad ? `  ${s.bad} NOT OK` : ''}`,
        );
      }
    }
    const table = Object.fromEntries(
      names.map((n) => {
        const s = samples.get(n)!;
        return [
          n,
          {
            ackedPerSec: Math.round(median(s.map((x) => x.acked))),
            p50: median(s.map((x) => x.p50)),
            p99: median(s.map((x) => x.p99)),
            endToEndPerSec: Math.round(median(s.map((x) => x.endToEnd))),
          },
        ];
      }),
    ) as Record<Deployment, { ackedPerSec: number; p50: number; p99: number; endToEndPerSec: number }>;
    console.table(table);
    const ratio = (a: Deployment, b: Deployment) => (table[a].endToEndPerSec / table[b].endToEndPerSec).toFixed(2);
    console.log(
      `  redis×1 / sqlite×1 = ${ratio('redis×1', 'sqlite×1')} (end to end); redis×2 / redis×1 = ${ratio('redis×2', 'redis×1')}`,
    );
    console.log(
      `  with ${cpus().length} cores shared by the generator, the instances and Redis, a second instance adds no core of its own:`,
    );
    console.log('  redis×2 shows the cost of sharing state, not the gain of a second machine.');
    return table;
  } finally {
    for (const inst of Object.values(deployments).flat()) {
      inst.proc.send('stop');
      await once(inst.proc, 'exit');
    }
    await redis.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'serve')
  await child(process.argv[3]!, process.argv[4] ?? '', process.argv[5] ?? '');
