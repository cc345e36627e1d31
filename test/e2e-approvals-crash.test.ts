/**
 * An approval request is a promise kept across crashes: recorded before anyone is asked, it survives a SIGKILL while
 * it waits; an approval taken by a process that dies before running it is in the inbox, and the next process runs
 * the command once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_APPROVAL_CODE, DEMO_APPROVER_NODE } from '../src/emulator/index.js';
import { openIdFor } from '../src/emulator/seed.js';
import { control } from './helpers/emulator.js';
import type { Message } from '../src/emulator/state.js';
import { callsTo, eventually, mailState, readCard } from './helpers/provisioning.js';
import { childBot, freePort, killBot } from './helpers/child-bot.js';
import { testSandbox } from './helpers/sandbox.js';

type TestSandbox = Awaited<ReturnType<typeof testSandbox>>;
const DOMAIN = 'feishu-ops.example';
/** A command a SIGKILL interrupted before it recorded its cards runs again this soon in the next process. */
const SHORT_LEASE = { INBOX_LEASE_MS: '2000' };
const APP_CONFIG = { admins: [openIdFor('wangfang')], commands: { mailgroup: { approve: ['admins'] } } };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The real bot in a child process; `ackOnly`: its inbox takes items and runs none. */
const botProcess = (
  sb: TestSandbox,
  dataDir: string,
  port: number,
  ackOnly: boolean,
  app: object = APP_CONFIG,
  env: Record<string, string> = SHORT_LEASE,
) =>
  childBot(sb, {
    dataDir,
    port,
    ackOnly,
    env: { APP_CONFIG_JSON: JSON.stringify(app), ...env },
    track: (kill) => cleanups.push(kill),
  });
const kill = killBot;

const botCards = (sb: TestSandbox): Message[] =>
  [...sb.emulator.state.messages.values()].filter((m) => m.sender.type === 'app' && m.card);

describe('an approval request across crashes', () => {
  it('survives a SIGKILL while it waits, and runs once when approved, also when the approving process dies', async () => {
    const sb = await testSandbox();
    cleanups.push(() => sb.close());
    const dataDir = mkdtempSync(join(tmpdir(), 'approval-kill-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const port = await freePort();

    const first = await botProcess(sb, dataDir, port, false);
    const messageId = await sb.say('张伟', `/mailgroup create crash@${DOMAIN} name="值班"`);
    const [waiting] = await sb.replies(messageId);
    expect(readCard(waiting?.card)).toContain('Waiting for approval');
    const asked = await eventually(() => {
      const card = botCards(sb).find((m) => readCard(m.card).includes('Approval request'));
      if (!card) throw new Error('no approver card');
      return card;
    });
    await kill(first);

    // The approval is taken by a process whose inbox runs nothing, which then dies.
    const second = await botProcess(sb, dataDir, port, true);
    const click = await sb.delivery.click({ messageId: asked.messageId, by: '王芳', action: 'approval.approve' });
    expect((click.response?.toast as { type?: string } | undefined)?.type).toBe('success');
    expect(mailState(sb.emulator).mailgroups).toHaveLength(0);
    await kill(second);

    await botProcess(sb, dataDir, port, false);
    await eventually(
      () => expect(mailState(sb.emulator).mailgroups.map((g) => g.email)).toEqual([`crash@${DOMAIN}`]),
      20_000,
    );
    await eventually(
      () => expect(readCard(sb.emulator.state.messages.get(waiting!.messageId)?.card)).toContain('Approved and run'),
      20_000,
    );
    expect(
      callsTo(sb.emulator, '/open-apis/mail/v1/mailgroups').filter((c) => c.path === '/open-apis/mail/v1/mailgroups'),
    ).toHaveLength(1);
    // The command answered once, though three processes saw the request.
    await new Promise((r) => setTimeout(r, 500));
    expect(botCards(sb).filter((m) => readCard(m.card).includes('邮件组已创建'))).toHaveLength(1);
  }, 60_000);
});

describe('a native approval request across crashes', () => {
  it('survives a SIGKILL while it waits; the approval event taken by a process that dies runs it once', async () => {
    const native = {
      ...APP_CONFIG,
      approvals: { mode: 'feishu', approvalCode: DEMO_APPROVAL_CODE, approverNode: DEMO_APPROVER_NODE },
    };
    const sb = await testSandbox();
    cleanups.push(() => sb.close());
    const dataDir = mkdtempSync(join(tmpdir(), 'approval-native-kill-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const port = await freePort();

    const first = await botProcess(sb, dataDir, port, false, native);
    const messageId = await sb.say('张伟', `/mailgroup create native-crash@${DOMAIN}`);
    const [waiting] = await sb.replies(messageId);
    expect(readCard(waiting?.card)).toContain('Feishu Approval');
    await kill(first);

    const second = await botProcess(sb, dataDir, port, true, native);
    const inbox = (await control(sb.emulator, 'approvals/inbox?user=王芳')) as { tasks: { instance: string }[] };
    await control(sb.emulator, 'approvals/decide', {
      instance: inbox.tasks[0]!.instance,
      by: '王芳',
      decision: 'approve',
    });
    await eventually(() =>
      expect(
        sb.delivery.events.some(
          (e) =>
            e.type === 'approval.instance.status_changed_v4' &&
            JSON.stringify(e.payload).includes('"APPROVED"') &&
            e.state === 'delivered',
        ),
      ).toBe(true),
    );
    expect(mailState(sb.emulator).mailgroups).toHaveLength(0);
    await kill(second);

    await botProcess(sb, dataDir, port, false, native);
    await eventually(
      () => expect(mailState(sb.emulator).mailgroups.map((g) => g.email)).toEqual([`native-crash@${DOMAIN}`]),
      20_000,
    );
    await eventually(
      () => expect(readCard(sb.emulator.state.messages.get(waiting!.messageId)?.card)).toContain('Approved and run'),
      20_000,
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(
      callsTo(sb.emulator, '/open-apis/mail/v1/mailgroups').filter((c) => c.path === '/open-apis/mail/v1/mailgroups'),
    ).toHaveLength(1);
  }, 60_000);
});

describe('an approved request whose run a crash interrupts', () => {
  it('runs on to the end in the next process, once', async () => {
    const sb = await testSandbox();
    cleanups.push(() => sb.close());
    const dataDir = mkdtempSync(join(tmpdir(), 'approval-midrun-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const port = await freePort();

    const first = await botProcess(sb, dataDir, port, false);
    const messageId = await sb.say('张伟', `/mailgroup create midrun@${DOMAIN}`);
    const [waiting] = await sb.replies(messageId);
    const asked = await eventually(() => {
      const card = botCards(sb).find((m) => readCard(m.card).includes('Approval request'));
      if (!card) throw new Error('no approver card');
      return card;
    });
    // The run's mail-group create hangs; the process dies while it does.
    await control(sb.emulator, 'faults', {
      pathPrefix: '/open-apis/mail/v1/mailgroups',
      method: 'POST',
      latencyMs: 3000,
    });
    await sb.delivery.click({ messageId: asked.messageId, by: '王芳', action: 'approval.approve' });
    await eventually(() => expect(callsTo(sb.emulator, '/open-apis/mail/v1/mailgroups').length).toBeGreaterThan(0));
    await kill(first);
    await fetch(`${sb.emulator.url}/_emulator/faults`, { method: 'DELETE' });
    expect(readCard(sb.emulator.state.messages.get(waiting!.messageId)?.card)).toContain('Approved; running');

    await botProcess(sb, dataDir, port, false);
    await eventually(
      () => expect(readCard(sb.emulator.state.messages.get(waiting!.messageId)?.card)).toContain('Approved and run'),
      30_000,
    );
    expect(mailState(sb.emulator).mailgroups.map((g) => g.email)).toEqual([`midrun@${DOMAIN}`]);
  }, 60_000);
});
