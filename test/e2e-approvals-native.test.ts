/**
 * Native approvals end to end: with approvals.mode "feishu" a guarded command opens an instance of the approval
 * definition (after subscribing to its events) through the emulator's approval API; the approver decides in the
 * emulator's Approval inbox, whose status event resumes the command once, or ends the request.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_APPROVAL_CODE, DEMO_APPROVER_NODE } from '../src/emulator/index.js';
import { openIdFor } from '../src/emulator/seed.js';
import type { Message } from '../src/emulator/state.js';
import { control } from './helpers/emulator.js';
import { callsTo, eventually, mailState, readCard } from './helpers/provisioning.js';
import { testSandbox } from './helpers/sandbox.js';

const DOMAIN = 'feishu-ops.example';
let sb: Awaited<ReturnType<typeof testSandbox>>;
beforeAll(async () => {
  sb = await testSandbox({
    admins: [openIdFor('wangfang')],
    roles: { ops: [openIdFor('liuyang')] },
    commands: { mailgroup: { approve: ['admins', 'role:ops'] } },
    approvals: { mode: 'feishu', approvalCode: DEMO_APPROVAL_CODE, approverNode: DEMO_APPROVER_NODE },
  });
});
afterAll(async () => sb?.close());
beforeEach(() => control(sb.emulator, 'reset', {}));

interface InboxTask {
  instance: string;
  initiator: string;
  form: string;
}
const inbox = async (user: string): Promise<InboxTask[]> =>
  ((await control(sb.emulator, `approvals/inbox?user=${encodeURIComponent(user)}`)) as { tasks: InboxTask[] }).tasks;

async function ask(text: string, from = '张伟'): Promise<Message> {
  const messageId = await sb.say(from, text);
  const [reply] = await sb.replies(messageId);
  if (!reply) throw new Error(`no reply to ${text}`);
  return reply;
}

describe('native Feishu approval', () => {
  it('opens an instance for the approvers, and runs the command once when one approves in Feishu', async () => {
    const waiting = await ask(`/mailgroup create native@${DOMAIN} name="原生"`);
    expect(readCard(waiting.card)).toContain('Feishu Approval');
    expect(mailState(sb.emulator).mailgroups).toHaveLength(0);
    expect(callsTo(sb.emulator, `/open-apis/approval/v4/approvals/${DEMO_APPROVAL_CODE}/subscribe`)).toHaveLength(1);
    const [task] = await inbox('王芳');
    expect(task?.initiator).toBe('张伟');
    expect(task?.form).toContain(`/mailgroup create native@${DOMAIN}`);
    expect(await inbox('刘洋')).toHaveLength(1);
    // The requester is no approver of their own request.
    expect(await inbox('张伟')).toHaveLength(0);
    await expect(
      control(sb.emulator, 'approvals/decide', { instance: task!.instance, by: '张伟', decision: 'approve' }),
    ).rejects.toThrow(/no pending task/);

    await control(sb.emulator, 'approvals/decide', { instance: task!.instance, by: '王芳', decision: 'approve' });
    await eventually(() => expect(mailState(sb.emulator).mailgroups.map((g) => g.email)).toEqual([`native@${DOMAIN}`]));
    await eventually(() => {
      const text = readCard(sb.emulator.state.messages.get(waiting.messageId)?.card);
      expect(text).toContain('Approved and run');
      expect(text).toContain('王芳');
    });
    const audit = await sb.bot.store.auditLog(50);
    expect(audit.find((a) => a.action === 'approval.approve')?.actor).toBe(openIdFor('wangfang'));
    // A repeated event (Feishu re-pushes) runs nothing twice.
    const pushed = sb.delivery.events.find(
      (e) => e.type === 'approval.instance.status_changed_v4' && JSON.stringify(e.payload).includes('APPROVED'),
    );
    await sb.delivery.redeliver(pushed!);
    await new Promise((r) => setTimeout(r, 300));
    expect(
      callsTo(sb.emulator, '/open-apis/mail/v1/mailgroups').filter((c) => c.path === '/open-apis/mail/v1/mailgroups'),
    ).toHaveLength(1);
  });

  it('a rejection in Feishu runs nothing, and the card gives the reason', async () => {
    const waiting = await ask(`/mailgroup create refused@${DOMAIN}`);
    const [task] = await inbox('刘洋');
    await control(sb.emulator, 'approvals/decide', {
      instance: task!.instance,
      by: '刘洋',
      decision: 'reject',
      comment: '不需要 not needed',
    });
    await eventually(() => {
      const text = readCard(sb.emulator.state.messages.get(waiting.messageId)?.card);
      expect(text).toContain('刘洋 rejected the request; nothing ran');
      expect(text).toContain('不需要 not needed');
    });
    expect(mailState(sb.emulator).mailgroups).toHaveLength(0);
  });

  it("the requester's Withdraw withdraws the Feishu instance too", async () => {
    const waiting = await ask(`/mailgroup create withdrawn@${DOMAIN}`);
    const [task] = await inbox('王芳');
    await sb.delivery.click({ messageId: waiting.messageId, by: '张伟', action: 'approval.withdraw' });
    expect(readCard(sb.emulator.state.messages.get(waiting.messageId)?.card)).toContain('Withdrawn');
    await eventually(async () => expect(await inbox('王芳')).toHaveLength(0));
    await expect(
      control(sb.emulator, 'approvals/decide', { instance: task!.instance, by: '王芳', decision: 'approve' }),
    ).rejects.toThrow(/CANCELED/);
    await new Promise((r) => setTimeout(r, 300));
    expect(mailState(sb.emulator).mailgroups).toHaveLength(0);
  });
});

describe('native approval after the request expired', () => {
  it('runs nothing, and the card says the request expired', async () => {
    const short = await testSandbox({
      admins: [openIdFor('wangfang')],
      commands: { mailgroup: { approve: ['admins'] } },
      approvals: {
        mode: 'feishu',
        approvalCode: DEMO_APPROVAL_CODE,
        approverNode: DEMO_APPROVER_NODE,
        expireHours: 0.0003,
      },
    });
    try {
      const messageId = await short.say('张伟', `/mailgroup create late-native@${DOMAIN}`);
      const [waiting] = await short.replies(messageId);
      const { tasks } = (await control(short.emulator, 'approvals/inbox?user=王芳')) as { tasks: InboxTask[] };
      await new Promise((r) => setTimeout(r, 1_200));
      await control(short.emulator, 'approvals/decide', {
        instance: tasks[0]!.instance,
        by: '王芳',
        decision: 'approve',
      });
      await eventually(() =>
        expect(readCard(short.emulator.state.messages.get(waiting!.messageId)?.card)).toContain('request expired'),
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(mailState(short.emulator).mailgroups).toHaveLength(0);
    } finally {
      await short.close();
    }
  });
});
