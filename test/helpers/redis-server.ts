/**
 * A real redis-server (Debian's package, scripts/apt-packages.txt) for tests: its own process on a free loopback
 * port with a temp dir, persisting every write (appendonly, fsync always) as the README asks of production.
 * Never the system service. Free of vitest, so benchmarks start one too; tests use `useRedis()` (redis.ts).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  url: string;
  port: number;
  /** A fresh key namespace, so tests sharing the server never see each other's data. */
  prefix(): string;
  /**
   * SIGKILLs redis-server and, after `downMs`, starts it again on the same port and data directory: what it had
   * fsynced (every acknowledged write, with appendfsync always) is back, connections are not.
   */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface RedisOptions {
  /** How to start the process (the drills pass theirs, which tracks it to kill it on every exit path). */
  spawn?: (command: string, args: string[], options: SpawnOptions) => ChildProcess;
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

let namespaces = 0;

export async function startRedis(o: RedisOptions = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-test-'));
  const launch = async (port: number): Promise<{ child?: ChildProcess; output: string[] }> => {
    const child: ChildProcess = (o.spawn ?? spawn)(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--daemonize',
        'no',
        '--loglevel',
        'warning',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const output: string[] = [];
    child.stdout!.on('data', (b: Buffer) => output.push(String(b)));
    child.stderr!.on('data', (b: Buffer) => output.push(String(b)));
    return { ...((await waitForPort(port, child)) ? { child } : {}), output };
  };
  for (let tries = 0; ; tries++) {
    const port = await freePort();
    const first = await launch(port);
    if (first.child) {
      let child = first.child;
      const end = async (c: ChildProcess, signal: NodeJS.Signals) => {
        if (c.exitCode !== null || c.signalCode !== null) return;
        c.kill(signal);
        await once(c, 'exit');
      };
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        prefix: () => `test-${process.pid}-${++namespaces}`,
        restart: async (downMs = 0) => {
          await end(child, 'SIGKILL');
          await new Promise((r) => setTimeout(r, downMs));
          const again = await launch(port);
          if (!again.child)
            throw new Error(`redis-server did not start again on port ${port}: ${again.output.join('')}`);
          child = again.child;
        },
        stop: async () => {
          await end(child, 'SIGTERM');
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    // Another process took the port between our probe and redis's bind: try another one.
    if (tries >= 3)
      throw new Error(`redis-server did not start (is the redis-server package installed?): ${first.output.join('')}`);
  }
}

/** Resolves true once redis accepts connections on `port`, false if the process exited first. */
async function waitForPort(port: number, child: ChildProcess): Promise<boolean> {
  const { connect } = await import('node:net');
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) return false;
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1');
      sock.once('connect', () => {
        sock.end();
        resolve(true);
      });
      sock.once('error', () => resolve(false));
    });
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  child.kill('SIGKILL');
  return false;
}
