import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { registerHandlers } from '../handlers/index.js';
import { App } from '../src/app.js';
import { Sealer } from '../src/auth/seal.js';
import { commandKey } from '../src/commands/registry.js';
import { checkConfigNames, ConfigError, loadConfig, parseConfig } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { RecordingGateway } from './helpers/recording-gateway.js';

const KEY = 'a'.repeat(64);

const problemsOf = (raw: unknown, env: NodeJS.ProcessEnv = {}): string[] => {
  try {
    parseConfig(raw, env);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
};

describe('configuration', () => {
  it('runs the sandbox with defaults when nothing is configured', () => {
    const c = parseConfig({}, {});
    expect(c.sandbox).toBe(true);
    expect(c.env.FEISHU_DOMAIN).toBe('https://open.feishu.cn');
    expect(c.app.receiver.replayWindowSeconds).toBe(300);
    expect(c.app.store).toEqual({ kind: 'sqlite', file: 'bot.sqlite' });
  });

  it('accepts an emulator domain with a port and drops a trailing slash', () => {
    const c = parseConfig(
      {},
      {
        FEISHU_APP_ID: 'cli_a1b2c3d4e5f60718',
        FEISHU_APP_SECRET: 's',
        FEISHU_DOMAIN: 'http://127.0.0.1:9000/',
        TOKEN_ENCRYPTION_KEY: KEY,
        FEISHU_ENCRYPT_KEY: 'k',
        PUBLIC_URL: 'https://bot.example.com',
      },
    );
    expect(c.sandbox).toBe(false);
    expect(c.env.FEISHU_DOMAIN).toBe('http://127.0.0.1:9000');
  });

  it('requires a 32-byte TOKEN_ENCRYPTION_KEY with credentials and says how to make one, without echoing it', () => {
    const creds = {
      FEISHU_APP_ID: 'cli_a1b2c3d4e5f60718',
      FEISHU_APP_SECRET: 's',
      FEISHU_ENCRYPT_KEY: 'k',
      PUBLIC_URL: 'https://bot.example.com',
    };
    expect(problemsOf({}, creds).join()).toMatch(/TOKEN_ENCRYPTION_KEY is not set.*randomBytes\(32\)/);
    const short = problemsOf({}, { ...creds, TOKEN_ENCRYPTION_KEY: 'abcdef0123' }).join();
    expect(short).toMatch(/TOKEN_ENCRYPTION_KEY must be 32 bytes/);
    expect(short).not.toContain('abcdef0123');
    expect(problemsOf({}, { ...creds, TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') })).toEqual([]);
    expect(parseConfig({}, {}).env.TOKEN_ENCRYPTION_KEY).toBeUndefined();
  });

  it('refuses credentials with webhooks but no FEISHU_ENCRYPT_KEY, naming it and where the console shows it', () => {
    const creds = {
      FEISHU_APP_ID: 'cli_a1b2c3d4e5f60718',
      FEISHU_APP_SECRET: 's',
      TOKEN_ENCRYPTION_KEY: KEY,
      PUBLIC_URL: 'https://bot.example.com',
    };
    expect(problemsOf({}, creds)).toEqual([
      expect.stringMatching(/^env FEISHU_ENCRYPT_KEY: required with webhooks.*Encryption strategy/),
    ]);
    expect(problemsOf({}, { ...creds, FEISHU_ENCRYPT_KEY: 'k' })).toEqual([]);
    // The long connection is authenticated by the app secret: no key needed there.
    expect(problemsOf({}, { ...creds, FEISHU_TRANSPORT: 'websocket' })).toEqual([]);
  });

  it('requires PUBLIC_URL with credentials (the sign-in redirect must reach this bot), and only then', () => {
    const creds = {
      FEISHU_APP_ID: 'cli_a1b2c3d4e5f60718',
      FEISHU_APP_SECRET: 's',
      TOKEN_ENCRYPTION_KEY: KEY,
      FEISHU_ENCRYPT_KEY: 'k',
    };
    expect(problemsOf({}, creds)).toEqual([
      expect.stringMatching(/^env PUBLIC_URL: required with credentials.*\/oauth\/callback/),
    ]);
    expect(problemsOf({}, {})).toEqual([]);
  });

  it('takes PUBLIC_URL without a trailing slash and refuses one that is not a URL', () => {
    expect(parseConfig({}, { PUBLIC_URL: 'https://bot.example.com/' }).env.PUBLIC_URL).toBe('https://bot.example.com');
    expect(problemsOf({}, { PUBLIC_URL: 'bot.example.com' }).join()).toMatch(/PUBLIC_URL: must be a URL/);
  });

  it('lists every problem by its path', () => {
    const problems = problemsOf(
      { admins: ['zhangwei'], commands: { group: { allow: ['someone'] } }, inbox: { dedupeHours: 2 }, typo: 1 },
      { FEISHU_DOMAIN: 'not a url', PORT: 'eighty' },
    );
    const joined = problems.join('\n');
    expect(joined).toMatch(/app\.config\.json admins\.0: must be an open_id/);
    expect(joined).toMatch(/app\.config\.json commands\.group\.allow\.0/);
    expect(joined).toMatch(/app\.config\.json inbox\.dedupeHours: .*8 h/);
    expect(joined).toMatch(/typo/);
    expect(joined).toMatch(/env FEISHU_DOMAIN: must be a URL/);
    expect(joined).toMatch(/env PORT/);
  });

  it('checks approvals: approvers are never "everyone", an entry needs allow or approve, native mode needs its code', () => {
    const joined = problemsOf({
      commands: { mailgroup: { approve: ['everyone'] }, group: {} },
      approvals: { mode: 'feishu', expireHours: 0 },
    }).join('\n');
    expect(joined).toMatch(/commands\.mailgroup\.approve\.0: must be "admins", "role:<name>"/);
    expect(joined).toMatch(/commands\.group: set allow, approve or both/);
    expect(joined).toMatch(/approvals\.approvalCode: mode "feishu" needs approvalCode/);
    expect(joined).toMatch(/approvals\.expireHours/);
    expect(
      problemsOf({ commands: { mailgroup: { approve: ['admins', 'role:ops'] } }, approvals: { chat: 'oc_1a' } }),
    ).toEqual([]);
  });

  it('names an unknown rate-limit endpoint and lists the valid ones', () => {
    const joined = problemsOf({
      rateLimits: { 'chat.craete': { perSecond: 10 }, 'chat.create': { perSecond: 10 } },
    }).join('\n');
    expect(joined).toMatch(/rateLimits\.chat\.craete: unknown endpoint: use one of .*chat\.create/);
    expect(problemsOf({ rateLimits: { 'chat.create': { perMinute: 600 } } })).toEqual([]);
  });

  it('refuses a rate limit that is not a whole number of calls, and says what to use instead', () => {
    const joined = problemsOf({ rateLimits: { 'mail.contact.create': { perSecond: 3.33 } } }).join('\n');
    expect(joined).toMatch(
      /rateLimits\.mail\.contact\.create\.perSecond: must be a whole number of calls; for fewer than one a second, use perMinute/,
    );
  });

  it('takes a default card language from the catalog and names the valid ones for any other', () => {
    expect(problemsOf({ i18n: { defaultLocale: 'ja_jp' } })).toEqual([]);
    expect(problemsOf({ i18n: { defaultLocale: 'fr_fr' } }).join('\n')).toMatch(
      /i18n\.defaultLocale: .*"zh_cn".*"en_us".*"ja_jp"/,
    );
  });

  it('refuses half a set of credentials', () => {
    expect(problemsOf({}, { FEISHU_APP_ID: 'cli_a1b2c3d4e5f60718' }).join()).toMatch(/set both/);
  });

  it('stops start-up with exit code 2, every problem and no stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ops-bot-config-'));
    try {
      writeFileSync(join(dir, 'app.config.json'), JSON.stringify({ admins: ['bad'], store: { kind: 'mysql' } }));
      const tsx = resolve('node_modules/.bin/tsx');
      const run = promisify(execFile)(tsx, [resolve('src/main.ts')], {
        cwd: dir,
        env: { PATH: process.env.PATH, FEISHU_APP_SECRET: 'secret-value-123' },
      });
      const err = (await run.then(
        () => undefined,
        (e: unknown) => e,
      )) as { code: number; stderr: string } | undefined;
      expect(err?.code).toBe(2);
      expect(err?.stderr).toMatch(/admins\.0/);
      expect(err?.stderr).toMatch(/store/);
      expect(err?.stderr).toMatch(/FEISHU_APP_ID \/ FEISHU_APP_SECRET/);
      expect(err?.stderr).not.toMatch(/\n\s+at /);
      expect(err?.stderr).not.toContain('secret-value-123');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Runs src/main.ts in `cwd` with `env` (no credentials: the sandbox); resolves with its exit code and stderr. */
async function startMain(cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  const run = promisify(execFile)(resolve('node_modules/.bin/tsx'), [resolve('src/main.ts')], {
    cwd,
    env: { PATH: process.env.PATH, PORT: '0', LOG_LEVEL: 'silent', ...env },
    timeout: 60_000,
  });
  const err = (await run.then(
    () => undefined,
    (e: unknown) => e,
  )) as { code: number; stderr: string } | undefined;
  return err ?? { code: 0, stderr: '' };
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'ops-bot-config-'));
}

/** The names the assembled app knows, from its registry (as src/bot.ts checks them). */
function registered() {
  const dir = tempDir();
  const store = new SqliteStore(join(dir, 'bot.sqlite'));
  const gateway = new RecordingGateway();
  const app = new App({ config: parseConfig({}, {}), gateway, store });
  registerHandlers(app, {
    sealer: new Sealer(randomBytes(32)),
    approvals: { store, gateway, logger: silentLogger, enqueue: async () => 'accepted' },
  });
  return {
    rules: app.rules(),
    commands: app.commands().map(commandKey),
    actions: app.actions().flatMap((a) => (a.target.kind === 'action' ? [a.name] : [])),
    dir,
  };
}

describe('configuration checked against the registered commands', () => {
  it('refuses unknown names in commands and menu, listing the valid ones', () => {
    const known = registered();
    try {
      const app = parseConfig(
        {
          commands: {
            gruop: { allow: ['admins'] },
            group: { allow: ['admins'] },
            'approval.approve': { approve: ['admins'] },
          },
          menu: { x: '/nope', help: '/help' },
        },
        {},
      ).app;
      const problems = (() => {
        try {
          checkConfigNames(app, known);
        } catch (e) {
          if (e instanceof ConfigError) return e.problems.join('\n');
          throw e;
        }
        return '';
      })();
      expect(problems).toMatch(
        /commands\.gruop: unknown command or action: use one of .*group create.*contact\.other-mailbox/,
      );
      // Actions that follow a command obey its rule: a key of their own would be ignored, so it is refused.
      expect(problems).not.toMatch(/use one of [^\n]*group\.add-members/);
      expect(problems).not.toMatch(/commands\.group:/);
      expect(problems).toMatch(/commands\.approval\.approve\.approve: a card action cannot wait for approval/);
      expect(problems).toMatch(/menu\.x: "\/nope" runs no known command: use one of .*\/help/);
      expect(problems).not.toMatch(/menu\.help/);
    } finally {
      rmSync(known.dir, { recursive: true, force: true });
    }
  });

  it('the shipped app.config.json names only commands that exist', () => {
    const known = registered();
    try {
      const shipped = parseConfig(JSON.parse(readFileSync(resolve('app.config.json'), 'utf8')), {}).app;
      expect(() => checkConfigNames(shipped, known)).not.toThrow();
    } finally {
      rmSync(known.dir, { recursive: true, force: true });
    }
  });

  it('stops start-up with exit code 2 for a typo in commands, listing the valid names', async () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir, 'app.config.json'), JSON.stringify({ commands: { gruop: { allow: ['admins'] } } }));
      const { code, stderr } = await startMain(dir, { DATA_DIR: join(dir, 'data') });
      expect(code).toBe(2);
      expect(stderr).toMatch(/commands\.gruop: unknown command or action: use one of .*group create/);
      expect(stderr).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops start-up with exit code 2 and a clear message when DATA_DIR is a file', async () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir, 'not-a-dir'), 'x');
      const { code, stderr } = await startMain(dir, { DATA_DIR: join(dir, 'not-a-dir') });
      expect(code).toBe(2);
      expect(stderr).toMatch(/env DATA_DIR: .*not-a-dir/);
      expect(stderr).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('APP_CONFIG', () => {
  it('reads the configuration from the file APP_CONFIG names', () => {
    const dir = tempDir();
    try {
      const file = join(dir, 'deploy.json');
      writeFileSync(file, JSON.stringify({ admins: ['ou_admin1'] }));
      expect(loadConfig({ APP_CONFIG: file }, dir).app.admins).toEqual(['ou_admin1']);
      // Without it, ./app.config.json of the working directory, which may be absent.
      expect(loadConfig({}, dir).app.admins).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses an APP_CONFIG that names a missing file, with its path', () => {
    const dir = tempDir();
    try {
      expect(() => loadConfig({ APP_CONFIG: 'missing.json' }, dir)).toThrow(/env APP_CONFIG .*missing\.json: ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('start-up reports problems of the APP_CONFIG file by its path, exit code 2', async () => {
    const dir = tempDir();
    try {
      writeFileSync(join(dir, 'deploy.json'), JSON.stringify({ admins: ['bad'] }));
      const { code, stderr } = await startMain(dir, { APP_CONFIG: join(dir, 'deploy.json') });
      expect(code).toBe(2);
      expect(stderr).toMatch(/deploy\.json admins\.0: must be an open_id/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
