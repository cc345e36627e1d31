/**
 * The real bot in a child process (test/helpers/intake-bot.ts) on a sandbox's emulator, for crash tests: it takes the
 * sandbox's FEISHU_* settings, listens on `port` (a successor takes its predecessor's, so links it handed out still
 * reach it), and the emulator is pointed at its webhook routes. `ackOnly`: its inbox takes items and runs none.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Emulator } from '../../src/emulator/index.js';
import type { testSandbox } from './sandbox.js';

type TestSandbox = Awaited<ReturnType<typeof testSandbox>>;

/** One key for every child of a test file: each reads what its predecessor sealed. */
const TOKEN_KEY = randomBytes(32).toString('hex');

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer()
      .listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      })
      .on('error', reject);
  });

/** `env` adds to the child's environment (APP_CONFIG_JSON, UNDO_SEND_SECONDS, INBOX_LEASE_MS…); `track` kills it after. */
export async function childBot(
  sb: TestSandbox,
  o: {
    dataDir: string;
    port: number;
    ackOnly?: boolean;
    env?: Record<string, string>;
    track: (kill: () => void) => void;
  },
): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'intake-bot.ts'), o.dataDir, ...(o.ackOnly ? ['--ack-only'] : [])],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        BOT_PORT: String(o.port),
        PUBLIC_URL: `http://127.0.0.1:${o.port}`,
        TOKEN_ENCRYPTION_KEY: TOKEN_KEY,
        ...o.env,
        ...Object.fromEntries(
          Object.entries(sb.config.env)
            .filter(([k]) => k.startsWith('FEISHU_'))
            .map(([k, v]) => [k, String(v)]),
        ),
        // The emulator is pointed at the child's webhook routes, which only webhook mode serves.
        FEISHU_TRANSPORT: 'webhook',
      },
    },
  );
  o.track(() => void child.kill('SIGKILL'));
  const [url] = await Promise.race([
    once(createInterface({ input: child.stdout! }), 'line') as Promise<[string]>,
    once(child, 'exit').then(([code]) =>
      Promise.reject(new Error(`the bot process exited with ${String(code)} before listening`)),
    ),
  ]);
  const { encryptKey, verificationToken } = sb.delivery.endpoint!;
  sb.delivery.configure({
    eventUrl: `${url}/webhook/event`,
    cardUrl: `${url}/webhook/card`,
    encryptKey,
    verificationToken,
  });
  return child;
}

export async function killBot(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL');
  if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
}

/** Push secrets of a test's own, as the bot's environment, and a way to point the emulator at a bot's webhooks. */
export function ownPushSecrets(emulator: Emulator) {
  const secrets = { encryptKey: randomBytes(16).toString('hex'), verificationToken: randomBytes(16).toString('hex') };
  return {
    env: { FEISHU_ENCRYPT_KEY: secrets.encryptKey, FEISHU_VERIFICATION_TOKEN: secrets.verificationToken },
    pointAt: (url: string) =>
      emulator.delivery.configure({ eventUrl: `${url}/webhook/event`, cardUrl: `${url}/webhook/card`, ...secrets }),
  };
}

/** Runs `test/helpers/<script> …args` as a bot process; `listening` resolves with the URL it prints first. */
export function spawnHelperBot(
  script: string,
  args: string[],
  env: Record<string, string>,
): { child: ChildProcess; listening: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, script), ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const listening = (once(createInterface({ input: child.stdout! }), 'line') as Promise<[string]>).then(([u]) => u);
  return { child, listening };
}
