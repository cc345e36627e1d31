import { randomBytes } from 'node:crypto';
/**
 * Intake end to end: the emulator pushes encrypted, signed events to the real bot over loopback,
 * and the bot answers through the official SDK client against the emulator's Open API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { successCard } from '../cards/index.js';
import { defineAction } from '../src/actions.js';
import { createBot, type Bot } from '../src/bot.js';
import type { EventRecord } from '../src/emulator/delivery.js';
import type { Message } from '../src/emulator/state.js';
import { cardText, testSandbox } from './helpers/sandbox.js';

type TestSandbox = Awaited<ReturnType<typeof testSandbox>>;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function sandbox(): Promise<TestSandbox> {
  const sb = await testSandbox();
  cleanups.push(() => sb.close());
  return sb;
}

/** Waits for a condition on shared state; generous because the machine is shared, never a speed check. */
const eventually = <T>(check: () => T | Promise<T>, timeout = 10_000): Promise<T> =>
  vi.waitFor(check, { timeout, interval: 20 });

const botReplies = (sb: TestSandbox, messageId: string): Message[] =>
  [...sb.emulator.state.messages.values()].filter((m) => m.parentId === messageId && m.sender.type === 'app');

/** A stopped bot's successor: same config, same data dir, same port (so the emulator's request URL still holds). */
async function restartBot(sb: TestSandbox): Promise<Bot> {
  await sb.bot.stop();
  const { appId, appSecret } = sb.emulator.state.app;
  const next = await createBot({ config: sb.config, appId, appSecret, domain: sb.emulator.url, dataDir: sb.dataDir });
  cleanups.push(() => next.stop());
  await next.listen(Number(new URL(sb.botUrl).port));
  return next;
}

const duplicates = async (bot: Bot): Promise<number> =>
  (await bot.metrics.eventsDuplicate.get()).values.reduce((n, v) => n + v.value, 0);

describe('at-least-once delivery', () => {
  it('replies once to a message delivered five times, across a bot restart', async () => {
    const sb = await sandbox();
    sb.delivery.configure({ ...sb.delivery.endpoint!, duplicateAfterSuccess: true });

    const { messageId, event } = sb.delivery.sendMessage({ from: '张伟', text: '/help' });
    const record = event as EventRecord;
    // Deliveries 1 and 2: the push and the emulator's duplicate of it.
    await eventually(() => expect(record.attempts).toHaveLength(2));
    await eventually(() => expect(botReplies(sb, messageId)).toHaveLength(1));
    await sb.delivery.redeliver(record); // 3
    expect(await duplicates(sb.bot)).toBe(2);

    const restarted = await restartBot(sb);
    await sb.delivery.redeliver(record); // 4
    await sb.delivery.redeliver(record); // 5

    expect(record.attempts.map((a) => a.status ?? a.error)).toEqual([200, 200, 200, 200, 200]);
    expect(await duplicates(restarted)).toBe(2);
    // Nothing queued is still running, so no late reply can follow.
    expect(await restarted.store.pendingCount()).toBe(0);
    expect(botReplies(sb, messageId)).toHaveLength(1);
    expect(cardText(botReplies(sb, messageId)[0]?.card)).toContain('/help');
  });

  it('sends the reply with the official SDK client and a tenant access token', async () => {
    const sb = await sandbox();
    const messageId = await sb.say('李娜', '/help');
    await sb.replies(messageId);
    const calls = sb.emulator.kit.calls.filter((c) => c.path === `/open-apis/im/v1/messages/${messageId}/reply`);
    expect(calls).toHaveLength(1);
    // The emulator logs "app:<appId>" only for a valid t- (tenant) token on the Authorization header.
    expect(calls[0]).toMatchObject({
      method: 'POST',
      caller: `app:${sb.emulator.state.app.appId}`,
      status: 200,
      code: 0,
    });
    expect(sb.emulator.kit.calls.some((c) => c.path === '/open-apis/auth/v3/tenant_access_token/internal')).toBe(true);
  });
});

describe('a bot process killed after acknowledging', () => {
  const children: ChildProcess[] = [];
  afterEach(() => children.splice(0).forEach((c) => c.kill('SIGKILL')));

  async function botProcess(
    sb: TestSandbox,
    dataDir: string,
    ackOnly: boolean,
  ): Promise<{ child: ChildProcess; url: string }> {
    const script = join(import.meta.dirname, 'helpers/intake-bot.ts');
    const child = spawn(process.execPath, ['--import', 'tsx', script, dataDir, ...(ackOnly ? ['--ack-only'] : [])], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
        PUBLIC_URL: 'http://127.0.0.1:9',
        ...Object.fromEntries(
          Object.entries(sb.config.env)
            .filter(([k]) => k.startsWith('FEISHU_'))
            .map(([k, v]) => [k, String(v)]),
        ),
        // This test points the emulator at the child's webhook routes, which only webhook mode serves.
        FEISHU_TRANSPORT: 'webhook',
      },
    });
    children.push(child);
    const [url] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
    const { encryptKey, verificationToken } = sb.delivery.endpoint!;
    sb.delivery.configure({ eventUrl: `${url}/webhook/event`, encryptKey, verificationToken });
    expect((await sb.delivery.verifyUrl()).ok).toBe(true);
    return { child, url };
  }

  it('processes every acknowledged event once after a SIGKILL and restart', async () => {
    const sb = await sandbox();
    const dataDir = mkdtempSync(join(tmpdir(), 'intake-kill-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));

    const first = await botProcess(sb, dataDir, true);
    const sent = ['/help', '/help group', '/help mail', '/help contact', '/help draft'].map((text) =>
      sb.delivery.sendMessage({ from: '张伟', text }),
    );
    const records = sent.map((s) => s.event as EventRecord);
    for (const r of records) expect((await sb.delivery.settled(r)).attempts.map((a) => a.status)).toEqual([200]);
    expect(sent.flatMap((s) => botReplies(sb, s.messageId))).toEqual([]);
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');

    await botProcess(sb, dataDir, false);
    for (const s of sent) await eventually(() => expect(botReplies(sb, s.messageId)).toHaveLength(1));
    // Feishu re-pushes what it is unsure of; the new process drops them as already seen.
    for (const r of records) expect((await sb.delivery.redeliver(r)).status).toBe(200);
    const db = new Database(join(dataDir, 'bot.sqlite'), { readonly: true });
    cleanups.push(() => {
      db.close();
    });
    await eventually(() => expect(db.prepare('SELECT COUNT(*) AS n FROM inbox').get()).toEqual({ n: 0 }));
    for (const s of sent) expect(botReplies(sb, s.messageId)).toHaveLength(1);
    expect(sb.emulator.kit.calls.filter((c) => c.path.endsWith('/reply') && c.status === 200)).toHaveLength(5);
  }, 30_000);
});

describe('a slow card action', () => {
  it('answers a 10 s action within the 3 s callback deadline and then shows the final card', async () => {
    const sb = await sandbox();
    const slow = sb.bot.app.action(
      defineAction('test.slow', z.object({}), {
        progress: { zh_cn: '慢操作进行中', en_us: 'Slow work running', ja_jp: '時間のかかる処理を実行中' },
      }),
      async () => {
        await new Promise((r) => setTimeout(r, 10_000));
        return {
          card: successCard({
            title: { zh_cn: '慢操作完成', en_us: 'Slow work done', ja_jp: '時間のかかる処理が完了しました' },
          }),
        };
      },
    );
    const user = sb.emulator.state.users[0]!;
    const START = { zh_cn: '开始', en_us: 'Start', ja_jp: '開始' };
    const { messageId } = await sb.bot.gateway.im.sendCard(
      { openId: user.open_id },
      successCard({
        title: START,
        actions: [slow.button({}, { label: START })],
      }),
    );

    const answer = await sb.delivery.click({ messageId, by: user.open_id, action: 'test.slow' });
    // The emulator gives up after 3 s, as Feishu does: a status means the bot answered in time.
    expect(answer.error).toBeUndefined();
    expect(answer.status).toBe(200);
    expect(answer.ms).toBeLessThan(3000);
    expect(answer.response?.toast).toMatchObject({ type: 'info' });
    expect(cardText(answer.card)).toContain('Slow work running');
    expect(cardText(answer.card)).not.toContain('Slow work done');

    const stored = () => sb.emulator.state.messages.get(messageId)!;
    await eventually(() => expect(cardText(stored().card)).toContain('Slow work done'), 15_000);
    expect(stored().updated).toBe(true);
    expect(sb.emulator.kit.calls.filter((c) => c.path === '/open-apis/interactive/v1/card/update')).toMatchObject([
      { status: 200, code: 0 },
    ]);
  }, 20_000);
});
