/**
 * The production start as `npm start` runs it: its build step, then `node <its flags> dist/src/main.js`, as a real
 * child process. Hooks record every module the process loads (ES modules as resolved, CommonJS as required) and the
 * moment it starts listening, in order.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFlags } from '../bench/deployed.js';
import { startEmulator } from '../src/emulator/index.js';

const ROOT = resolve(import.meta.dirname, '..');
const MAIN = join(ROOT, 'dist/src/main.js');
const CREDENTIALS = {
  FEISHU_APP_ID: 'cli_a1b2c3d4e5f6a7b8',
  FEISHU_APP_SECRET: 'test-app-secret',
  FEISHU_ENCRYPT_KEY: 'test-encrypt-key',
  PUBLIC_URL: 'https://bot.example.com',
  TOKEN_ENCRYPTION_KEY: '0123456789abcdef'.repeat(4),
  // Nothing listens on the discard port: the bot must not call the Open API to start.
  FEISHU_DOMAIN: 'http://127.0.0.1:9',
};

let dir: string;
let hook: string;
/** Written to the module log when a server starts listening. */
const LISTENING = '-- listening --';
const running: ChildProcess[] = [];

beforeAll(() => {
  // The same build `npm start` runs first (only what changed: quick when dist/ is current).
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
  dir = mkdtempSync(join(tmpdir(), 'prod-start-'));
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.MODULE_LOG, r.url + '\\n');
  return r;
}
`,
  );
  hook = join(dir, 'register.mjs');
  writeFileSync(
    hook,
    `import { appendFileSync } from 'node:fs';
import Module, { register } from 'node:module';
import net from 'node:net';
import { pathToFileURL } from 'node:url';
const LISTENING = ${JSON.stringify(LISTENING)};
register(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});
const load = Module._load;
Module._load = function (request, parent, isMain) {
  const exports = load.apply(this, arguments);
  if (!Module.isBuiltin(request)) appendFileSync(process.env.MODULE_LOG, pathToFileURL(Module._resolveFilename(request, parent, isMain)).href + '\\n');
  return exports;
};
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  this.once('listening', () => appendFileSync(process.env.MODULE_LOG, LISTENING + '\\n'));
  return listen.apply(this, args);
};
`,
  );
}, 180_000);

afterEach(async () => {
  for (const p of running.splice(0)) {
    if (p.exitCode === null && p.signalCode === null) {
      p.kill('SIGKILL');
      await once(p, 'exit');
    }
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Started {
  proc: ChildProcess;
  output: () => string;
  modules: () => string[];
}

function start(name: string, env: Record<string, string>): Started {
  const moduleLog = join(dir, `${name}.modules`);
  writeFileSync(moduleLog, '');
  let out = '';
  const proc = spawn(process.execPath, [...startFlags(), '--import', hook, MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      DATA_DIR: join(dir, name),
      PORT: '0',
      LOG_LEVEL: 'info',
      MODULE_LOG: moduleLog,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(proc);
  proc.stdout!.on('data', (b: Buffer) => {
    out += b.toString();
  });
  proc.stderr!.on('data', (b: Buffer) => {
    out += b.toString();
  });
  return { proc, output: () => out, modules: () => readFileSync(moduleLog, 'utf8').split('\n').filter(Boolean) };
}

const printed = (s: Started, pattern: RegExp): Promise<string> =>
  vi.waitFor(
    () => {
      const m = pattern.exec(s.output());
      if (!m?.[1]) throw new Error(`not printed yet: ${pattern}\n${s.output()}`);
      return m[1];
    },
    { timeout: 30_000, interval: 50 },
  );

describe('production start (compiled)', () => {
  it('starts with credentials on HOST, answers /healthz, stops on SIGTERM, and loads neither the emulator nor tsx', async () => {
    const bot = start('prod', { ...CREDENTIALS, HOST: '127.0.0.1', METRICS_TOKEN: 'metrics-token-0123456789' });
    const base = await printed(bot, /Health: (http:\/\/127\.0\.0\.1:\d+)\/healthz/);
    const res = await fetch(`${base}/healthz`);
    expect([res.status, await res.json()]).toEqual([
      200,
      { ok: true, store: 'sqlite', transport: { kind: 'webhook' } },
    ]);
    expect((await fetch(`${base}/metrics`)).status).toBe(401);

    const modules = bot.modules();
    expect(modules).toContain(pathToFileURL(join(ROOT, 'dist/src/bot.js')).href);
    expect(modules.filter((u) => /\/src\/(emulator|sandbox)|\/tsx\/|\.ts$/.test(u))).toEqual([]);

    bot.proc.kill('SIGTERM');
    const [code] = await once(bot.proc, 'exit');
    expect(code).toBe(0);
  });

  it('listens before it loads the Feishu SDK, loads it just after, and never loads what only Redis or mail need', async () => {
    const bot = start('lazy', { ...CREDENTIALS, HOST: '127.0.0.1' });
    await printed(bot, /Health: (http:\/\/127\.0\.0\.1:\d+)\/healthz/);
    const sdk = (u: string) => u.includes('/node_modules/@larksuiteoapi/node-sdk/');
    // A moment after listening, before any Open API call, the SDK is loaded so the first call does not wait for it.
    const log = await vi.waitFor(
      () => {
        const m = bot.modules();
        if (!m.some(sdk)) throw new Error('the SDK is not loaded yet');
        return m;
      },
      { timeout: 15_000, interval: 100 },
    );
    const listening = log.indexOf(LISTENING);
    expect(listening).toBeGreaterThan(0);
    expect(
      log.slice(0, listening).filter((u) => /\/node_modules\/(@larksuiteoapi|ws|protobufjs|axios)\//.test(u)),
    ).toEqual([]);
    expect(log.findIndex(sdk)).toBeGreaterThan(listening);
    expect(log.filter((u) => /\/node_modules\/(ioredis|nodemailer|markdown-it|postal-mime|esbuild)\//.test(u))).toEqual(
      [],
    );
  });

  /** Every URL the banner says to paste into the developer console, in order. */
  const toPaste = (out: string) =>
    [...out.matchAll(/(?:→|Request URL|Redirect URLs)\s+(\S+:\/\/\S+)/g)].map((m) => m[1]);

  it('prints exactly the URLs to paste into the developer console, each built from PUBLIC_URL', async () => {
    const bot = start('banner', { ...CREDENTIALS, HOST: '127.0.0.1', PUBLIC_URL: 'https://ops.example.com/feishu/' });
    await printed(bot, /Health: (http:\/\/127\.0\.0\.1:\d+)\/healthz/);
    expect(toPaste(bot.output())).toEqual([
      'https://ops.example.com/feishu/webhook/event',
      'https://ops.example.com/feishu/webhook/card',
      'https://ops.example.com/feishu/oauth/callback',
    ]);
    expect(bot.output()).not.toMatch(/<your-host>|127\.0\.0\.1:\d+\/(webhook|oauth)/);
  });

  it('over the long connection prints no request URL, only the OAuth redirect URL', async () => {
    const emulator = await startEmulator({
      appId: CREDENTIALS.FEISHU_APP_ID,
      appSecret: CREDENTIALS.FEISHU_APP_SECRET,
    });
    try {
      const bot = start('banner-ws', {
        ...CREDENTIALS,
        HOST: '127.0.0.1',
        FEISHU_TRANSPORT: 'websocket',
        FEISHU_DOMAIN: emulator.url,
      });
      await printed(bot, /Health: (http:\/\/127\.0\.0\.1:\d+)\/healthz/);
      expect(toPaste(bot.output())).toEqual(['https://bot.example.com/oauth/callback']);
      expect(bot.output()).toMatch(/使用长连接接收事件[^]*使用长连接接收回调/);
      expect(bot.output()).not.toMatch(/webhook\//);
    } finally {
      await emulator.close();
    }
  });

  it('`npm start` as written builds what changed inside the bot process, leaves no build process behind, and serves', async () => {
    const source = join(ROOT, 'src/keys.ts');
    const later = new Date(Date.now() + 2_000);
    utimesSync(source, later, later);
    let out = '';
    const npm = spawn(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['start'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DATA_DIR: join(dir, 'npm-start'),
        PORT: '0',
        ...CREDENTIALS,
        HOST: '127.0.0.1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    npm.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    npm.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    try {
      const base = await vi.waitFor(
        () => {
          const m = /Health: (http:\/\/127\.0\.0\.1:\d+)\/healthz/.exec(out);
          if (!m?.[1]) throw new Error(`not ready yet:\n${out}`);
          return m[1];
        },
        { timeout: 30_000, interval: 50 },
      );
      expect(out).toMatch(/build: 1 changed file\(s\) → dist\/ in \d+ ms/);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const group = execFileSync('ps', ['-o', 'comm=', '-g', String(npm.pid)], { encoding: 'utf8' });
      expect(group).not.toMatch(/esbuild/);
    } finally {
      process.kill(-npm.pid!, 'SIGTERM');
      await once(npm, 'exit');
    }
  });

  it('starts the sandbox without credentials, loading the emulator only then', async () => {
    const sb = start('sandbox', { HOST: '127.0.0.1', EMULATOR_PORT: '0' });
    const base = await printed(sb, /webhooks +(http:\/\/127\.0\.0\.1:\d+)\/webhook\/event/);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(sb.modules()).toContain(pathToFileURL(join(ROOT, 'dist/src/emulator/index.js')).href);
  });

  it('prints stack traces with TypeScript file and line numbers', async () => {
    // A store file that is not a database: opening the store throws from deep inside it.
    const dataDir = mkdtempSync(join(dir, 'data-'));
    writeFileSync(join(dataDir, 'bot.sqlite'), 'not a database, just text '.repeat(200));
    const bot = start('broken', { ...CREDENTIALS, DATA_DIR: dataDir });
    const [code] = await once(bot.proc, 'exit');
    expect(code).toBe(1);
    expect(bot.output()).toMatch(/start-up failed/);
    expect(bot.output()).toMatch(/src\/store\/sqlite\.ts:\d+/);
  });
});
