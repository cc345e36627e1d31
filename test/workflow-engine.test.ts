/**
 * The workflow engine on real Stores. How runs are found again: recent runs (/onboard status, start-up resume) and
 * runs waiting for a person's sign-in come from the Store's sorted indexes, so instances starting runs at once lose
 * none, on SQLite and Redis; runs listed by the JSON list of earlier versions are still found after the upgrade, their
 * Chinese-and-English step labels read in every language.
 * And what a step failing unexpectedly leaves for an admin.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { NeedsSignIn } from '../src/auth/vault.js';
import { parseConfig } from '../src/config.js';
import type { FeishuPorts } from '../src/feishu/ports.js';
import { t } from '../src/i18n.js';
import { RedisStore } from '../src/store/redis.js';
import { SqliteStore } from '../src/store/sqlite.js';
import type { Store } from '../src/store/store.js';
import { Workflows, type WorkflowsOptions } from '../src/workflows/engine.js';
import { useRedis } from './helpers/redis.js';

const redis = useRedis();
const config = parseConfig({}, { LOG_LEVEL: 'silent' });
const T0 = 1_700_000_000_000;
const SENDER = 'ou_sender';

/** Two stores over the same data: two bot instances. */
const backends: [string, () => Promise<{ stores: [Store, Store]; cleanup: () => void }>][] = [
  [
    'sqlite',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'workflow-engine-'));
      const file = join(dir, 'bot.sqlite');
      return {
        stores: [new SqliteStore(file), new SqliteStore(file)],
        cleanup: () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  ],
  [
    'redis',
    async () => {
      const prefix = redis.server.prefix();
      const stores = await Promise.all([
        RedisStore.open(redis.server.url, { prefix }),
        RedisStore.open(redis.server.url, { prefix }),
      ]);
      return { stores: stores as [Store, Store], cleanup: () => {} };
    },
  ],
];

const steps = [
  { id: 'mail', label: { zh_cn: '邮件', en_us: 'Mail', ja_jp: 'メール' }, needs: [], status: 'pending' as const },
];

/** A workflow whose one step waits for SENDER until `signedIn` holds them. */
function engine(store: Store, signedIn: Set<string>, o: Partial<WorkflowsOptions> = {}): Workflows {
  const wf = new Workflows({ store, gateway: {} as FeishuPorts, config, ...o });
  wf.define('welcome', {
    execute: async () =>
      signedIn.has(SENDER)
        ? { status: 'done' }
        : { status: 'waiting', waitingFor: SENDER, reason: t('onboard.waitingForSignIn', { name: SENDER }) },
  });
  return wf;
}

const start = (wf: Workflows, id: string) =>
  wf.start({ id, workflow: 'welcome', subject: id, subjectName: id, trigger: 'test', input: {}, steps });

describe.each(backends)('workflow indexes on %s', (_name, backend) => {
  let opened: Awaited<ReturnType<typeof backend>> | undefined;
  const open = async () => (opened = await backend()).stores;
  afterEach(async () => {
    if (!opened) return;
    for (const s of opened.stores) await s.close();
    opened.cleanup();
    opened = undefined;
  });

  it('lists every one of 30 runs started at once by two instances, most recent first', async () => {
    let time = T0;
    const now = () => time++;
    const [a, b] = (await open()).map((s) => engine(s, new Set(), { now }));
    await Promise.all(Array.from({ length: 30 }, (_, i) => start(i % 2 ? a! : b!, `onboard:ou_${i}`)));
    const listed = (await a!.list(50)).map((r) => r.id);
    expect(new Set(listed).size).toBe(30);
    const starts = await Promise.all(listed.map(async (id) => (await a!.get(id))!.createdAt));
    expect(starts).toEqual([...starts].sort((x, y) => y - x));
  });

  it('resumes a run waiting for a person when they sign in, however many runs started after it', async () => {
    const signedIn = new Set<string>();
    const [store] = await open();
    const wf = engine(store, signedIn);
    await start(wf, 'onboard:ou_early');
    expect((await wf.drive('onboard:ou_early')).run?.steps[0]?.status).toBe('waiting');
    // More later runs than the recent-runs index keeps: the early run is no longer listed, yet still waits.
    for (let i = 0; i < 200; i++) await start(wf, `onboard:ou_later${i}`);
    expect((await wf.list(500)).map((r) => r.id)).not.toContain('onboard:ou_early');

    signedIn.add(SENDER);
    expect(await wf.resumeWaiting(SENDER)).toEqual(['onboard:ou_early']);
    expect((await wf.get('onboard:ou_early'))?.steps[0]?.status).toBe('done');
    expect(await wf.resumeWaiting(SENDER)).toEqual([]);
  });

  it('finds the runs of the list kept before the upgrade, in order, and resumes the one waiting', async () => {
    const [store, other] = await open();
    // As that version wrote them: step texts in Chinese and English only.
    const run = (id: string, createdAt: number, status: 'done' | 'waiting') => ({
      id,
      workflow: 'welcome',
      subject: id,
      subjectName: id,
      trigger: 'test',
      input: {},
      meta: {},
      createdAt,
      updatedAt: createdAt,
      steps: [
        {
          id: 'mail',
          label: { zh: '邮件', en: 'Mail' },
          needs: [],
          status,
          attempts: 1,
          ...(status === 'waiting' ? { waitingFor: SENDER } : {}),
        },
      ],
    });
    // As the previous version left them: run records, and one JSON list of ids, most recent first.
    const legacy = [
      run('onboard:ou_new', T0 + 2, 'waiting'),
      run('onboard:ou_mid', T0 + 1, 'done'),
      run('onboard:ou_old', T0, 'done'),
    ];
    for (const r of legacy) await store.set(`workflow:${r.id}`, JSON.stringify(r), 3_600_000);
    await store.set(
      'workflow-recent:all',
      JSON.stringify([...legacy.map((r) => r.id), 'onboard:ou_expired']),
      3_600_000,
    );

    const lines: { msg: string }[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    const signedIn = new Set([SENDER]);
    const wf = engine(store, signedIn, { logger });
    await start(wf, 'onboard:ou_after');
    expect((await wf.list()).map((r) => r.id)).toEqual([
      'onboard:ou_after',
      'onboard:ou_new',
      'onboard:ou_mid',
      'onboard:ou_old',
    ]);
    expect(lines.filter((l) => l.msg.includes('moved the recent workflow runs'))).toHaveLength(1);
    // Japanese readers get the English of a record that has no Japanese.
    expect((await wf.get('onboard:ou_mid'))?.steps[0]?.label).toEqual({ zh_cn: '邮件', en_us: 'Mail', ja_jp: 'Mail' });
    expect(await store.get('workflow-recent:all')).toBeUndefined();

    // Another instance, upgraded too, finds the waiting run through the index the first one filled.
    expect(await engine(other, signedIn).resumeWaiting(SENDER)).toEqual(['onboard:ou_new']);
    expect((await wf.get('onboard:ou_new'))?.steps[0]?.status).toBe('done');
  });
});

describe('a step that fails unexpectedly', () => {
  it('is logged with its run and step ids, and shown failed as an internal error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'workflow-engine-'));
    const store = new SqliteStore(join(dir, 'bot.sqlite'));
    try {
      const lines: Record<string, unknown>[] = [];
      const logger = pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
      const wf = new Workflows({ store, gateway: {} as FeishuPorts, config, logger });
      // A kind but no explanation: a step that does not wait for the sign-in it needs.
      wf.define('broken', {
        execute: async () => {
          throw new NeedsSignIn('ou_sender', 'not_signed_in');
        },
      });
      await wf.start({
        id: 'run-1',
        workflow: 'broken',
        subject: 's',
        subjectName: 's',
        trigger: 'test',
        input: {},
        steps,
      });
      const { run } = await wf.drive('run-1');
      expect(run?.steps[0]).toMatchObject({
        status: 'failed',
        reason: { en_us: 'The bot hit an internal error; ask an admin' },
      });
      expect(lines).toEqual([
        expect.objectContaining({
          run: 'run-1',
          step: 'mail',
          msg: 'step failed with an unexpected error',
          err: expect.objectContaining({ message: 'ou_sender needs to sign in (not_signed_in)' }),
        }),
      ]);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
