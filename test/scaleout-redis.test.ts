/**
 * Scale-out: two bot processes share one Redis, and the emulator's every push (sent twice, as Feishu may) reaches
 * both of them. Each command must take effect exactly once, the two together must stay within the Open API limits,
 * and when one is SIGKILLed in the middle of the load the other finishes everything.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { startFanOut, type FanOut } from './helpers/fan-out.js';
import { callsTo, control, eventually, groupChats } from './helpers/provisioning.js';
import { useRedis } from './helpers/redis.js';

const redis = useRedis();
const CHATS_ROUTE = 'POST /open-apis/im/v1/chats';
/** Two child processes load the bot (tsx) on a shared two-core machine: start-up alone can take tens of seconds. */
const PROCESS_TEST_MS = 150_000;

interface Instance {
  url: string;
  child: ChildProcess;
}

describe('two bot instances on one Redis', () => {
  let emulator: Emulator;
  let fan: FanOut;
  let prefix: string;
  const children: ChildProcess[] = [];
  const secrets = { encryptKey: randomBytes(16).toString('hex'), verificationToken: randomBytes(16).toString('hex') };

  const startInstance = async (appConfig: unknown): Promise<Instance> => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(import.meta.dirname, 'helpers/scaleout-bot.ts'),
        emulator.url,
        JSON.stringify(appConfig),
      ],
      {
        env: {
          ...process.env,
          REDIS_URL: redis.server.url,
          REDIS_PREFIX: prefix,
          FEISHU_ENCRYPT_KEY: secrets.encryptKey,
          FEISHU_VERIFICATION_TOKEN: secrets.verificationToken,
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    children.push(child);
    const [url] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    return { url, child };
  };

  /** Both instances behind the fan-out, the emulator pushing every event twice. */
  const startPair = async (appConfig: unknown): Promise<[Instance, Instance]> => {
    const pair = await Promise.all([startInstance(appConfig), startInstance(appConfig)]);
    fan.targets.push(...pair.map((i) => i.url));
    emulator.delivery.configure({
      eventUrl: `${fan.url}/webhook/event`,
      cardUrl: `${fan.url}/webhook/card`,
      duplicateAfterSuccess: true,
      ...secrets,
    });
    return pair;
  };

  const replies = (messageId: string) =>
    [...emulator.state.messages.values()].filter((m) => m.parentId === messageId && m.sender.type === 'app');

  const send = (names: string[]) =>
    names.map((name) => emulator.delivery.sendMessage({ from: '张伟', text: `/group create ${name}` }).messageId);

  /** Every chat created exactly once and every command answered exactly once, including after duplicates drained. */
  const expectExactlyOnce = async (names: string[], messageIds: string[]) => {
    await eventually(() => messageIds.forEach((id) => expect(replies(id)).toHaveLength(1)), 60_000);
    // Late duplicates (the emulator's second push, a resumed lease) have had time to run any second effect.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(
      groupChats(emulator)
        .map((c) => c.name)
        .sort(),
    ).toEqual([...names].sort());
    for (const id of messageIds) expect(replies(id)).toHaveLength(1);
  };

  /** The most calls of `route` the emulator logged in any window of `ms`. */
  const busiestWindow = (path: string, ms: number) => {
    const at = callsTo(emulator, path)
      .filter((c) => c.path === path)
      .map((c) => c.at)
      .sort((a, b) => a - b);
    return Math.max(0, ...at.map((t, i) => at.slice(i).filter((s) => s < t + ms).length));
  };

  const counter = async (url: string, name: string) => {
    const text = await (await fetch(`${url}/metrics`)).text();
    return text
      .split('\n')
      .filter((l) => l.startsWith(`${name}{`))
      .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  };

  beforeEach(async () => {
    emulator = await startEmulator();
    fan = await startFanOut([]);
    prefix = redis.server.prefix();
  });

  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode === null && c.signalCode === null) {
        c.kill('SIGKILL');
        await once(c, 'exit');
      }
    }
    await fan.close();
    await emulator.close();
  });

  it(
    'runs every command exactly once and together stays within each Open API limit',
    async () => {
      // A quota low enough that two instances each keeping theirs alone (4/s each) would break it together. The bots
      // keep exactly Feishu's: a slot counts from its call's answer, so no lag on a loaded machine can break it.
      await control(emulator, 'limits', { route: CHATS_ROUTE, perSecond: 4 });
      const [a, b] = await startPair({ rateLimits: { 'chat.create': { perSecond: 4 } } });
      const names = Array.from({ length: 12 }, (_, i) => `扩容群${i + 1}`);
      const messageIds = send(names);
      await expectExactlyOnce(names, messageIds);

      // Each event was received at least four times (two pushes × two instances; a push slowed past 3 s on this shared
      // machine is pushed again) and accepted once, by either instance.
      const accepted =
        (await counter(a.url, 'feishu_events_accepted_total')) + (await counter(b.url, 'feishu_events_accepted_total'));
      const duplicates =
        (await counter(a.url, 'feishu_events_duplicate_total')) +
        (await counter(b.url, 'feishu_events_duplicate_total'));
      expect(accepted).toBe(names.length);
      expect(duplicates).toBeGreaterThanOrEqual(3 * names.length);
      // Nothing was refused for a rate limit (the emulator enforces each documented one, and the lowered chat quota).
      expect(emulator.kit.calls.filter((c) => c.status === 429)).toEqual([]);
      expect(busiestWindow('/open-apis/im/v1/chats', 1_000)).toBeLessThanOrEqual(4);
      // Each instance reports its own waits for the shared budget, and its store.
      const waited =
        (await counter(a.url, 'feishu_limiter_wait_seconds_sum')) +
        (await counter(b.url, 'feishu_limiter_wait_seconds_sum'));
      expect(waited).toBeGreaterThan(1);
      for (const i of [a, b])
        expect(await (await fetch(`${i.url}/healthz`)).json()).toEqual({
          ok: true,
          store: 'redis',
          transport: { kind: 'webhook' },
        });
    },
    PROCESS_TEST_MS,
  );

  it(
    'finishes everything when one instance is SIGKILLed in the middle of the load, nothing lost or done twice',
    async () => {
      await control(emulator, 'limits', { route: CHATS_ROUTE, perSecond: 3 });
      const [a] = await startPair({ rateLimits: { 'chat.create': { perSecond: 3 } } });
      const names = Array.from({ length: 10 }, (_, i) => `接管群${i + 1}`);
      const messageIds = send(names);
      // Mid-load: some chats exist, most are still queued or running (leased) on both instances.
      await eventually(() => expect(groupChats(emulator).length).toBeGreaterThanOrEqual(3), 30_000);
      a.child.kill('SIGKILL');
      await once(a.child, 'exit');
      expect(groupChats(emulator).length).toBeLessThan(names.length);
      await expectExactlyOnce(names, messageIds);
      expect(emulator.kit.calls.filter((c) => c.status === 429)).toEqual([]);
    },
    PROCESS_TEST_MS,
  );
});
