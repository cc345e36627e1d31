/**
 * Offboarding end to end: a hire onboarded by the shipped workflow in the sandbox, who then leaves through the
 * emulator's route (contact.user.deleted_v3). Every effect of their onboarding is taken back, the chat they own goes
 * to their leader, the progress card ends all ✓; the event again changes nothing; a dry run calls nothing that
 * changes anything; a leader who has also left is an amber step naming what to do. `/offboard status` lists the
 * runs and shows one person's step by step, with Retry.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { STANDING } from '../src/emulator/seed.js';
import type { SeedUser } from '../src/emulator/state.js';
import { ALL_DONE, announce, onboardingSandbox, settledRun, statuses } from './helpers/onboarding.js';
import { holdings, leave, mutatingCalls, OFFBOARD_DONE, settledOffboard } from './helpers/offboarding.js';
import { control, eventually, readCard, userNamed } from './helpers/provisioning.js';
import { textIn } from './helpers/sandbox.js';

let world: Awaited<ReturnType<typeof onboardingSandbox>>;
beforeAll(async () => {
  world = await onboardingSandbox();
});
afterAll(async () => world?.sb.close());
beforeEach(async () => {
  await control(world.sb.emulator, 'reset', {});
  await fetch(`${world.sb.emulator.url}/_emulator/faults`, { method: 'DELETE' });
});

const wf = () => world.sb.bot.app.workflows;

/** A hire onboarded by the shipped workflow, who then made a chat of their own with the bot. */
async function onboardedHire(name: string, leader = '张伟'): Promise<{ hire: SeedUser; ownChat: string }> {
  const { sb, tokens } = world;
  await tokens.signIn(userNamed(sb.emulator, '陈静'));
  const hire = await announce(sb.emulator, { name, enName: name, department: 'ops', leader, jobTitle: 'SRE' });
  expect(statuses(await settledRun((id) => wf().get(id), hire.open_id))).toEqual(ALL_DONE);
  // The run's last progress-card update is made before its event is acknowledged: none lands in a later count of calls.
  await eventually(async () => expect(await sb.bot.store.pendingCount()).toBe(0));
  const [made] = await sb.replies(await sb.say(name, '/group create 项目群Alpha'));
  expect(readCard(made?.card)).toContain('项目群Alpha');
  const ownChat = [...sb.emulator.state.chats.values()].find(
    (c) => c.name === '项目群Alpha' && c.ownerId === hire.open_id,
  );
  expect(ownChat).toBeDefined();
  return { hire, ownChat: ownChat!.chatId };
}

describe('offboarding someone who leaves', () => {
  it('reverses every effect of their onboarding, hands their chat to the leader, and ends with a progress card all ✓', async () => {
    const { sb } = world;
    const { hire, ownChat } = await onboardedHire('孙悦');
    const before = holdings(sb.emulator, hire);
    expect(before.inAllHands).toBe(true);
    expect(before.mailgroups).toEqual([STANDING.allStaff.email]);
    expect(before.contacts).toBe(1);
    const onboardRun = (await wf().get(`onboard:${hire.open_id}`))!;
    const teamChat = onboardRun.steps.find((s) => s.id === 'team-chat')!.result!.chatId!;
    const welcome = onboardRun.steps.find((s) => s.id === 'welcome-card')!.result!.messageId!;

    await leave(sb.emulator, hire);
    const run = await settledOffboard((id) => wf().get(id), hire.open_id);
    expect(statuses(run)).toEqual(OFFBOARD_DONE);

    const leader = userNamed(sb.emulator, '张伟');
    const after = holdings(sb.emulator, hire);
    expect(after).toEqual({ chats: ['项目群Alpha'], owns: [], inAllHands: false, mailgroups: [], contacts: 0 });
    // Their own chat stays, with the leader as its owner; the team chat onboarding made is dissolved.
    expect(sb.emulator.state.chats.get(ownChat)?.ownerId).toBe(leader.open_id);
    expect(sb.emulator.state.chats.get(teamChat)?.dissolvedAt).toBeDefined();
    expect(sb.emulator.state.messages.get(welcome)?.deleted).toBe(true);

    const progress = await eventually(() => {
      const card = sb.emulator.state.messages.get(run.meta.progress!)?.card;
      expect(readCard(card)).toContain('6/6');
      return card;
    });
    expect(readCard(progress)).toContain('离职流程：孙悦');
    expect(textIn(progress, 'zh_cn').match(/✓/g)).toHaveLength(6);
    expect(readCard(progress)).not.toMatch(/✗|⚠/);

    // The leader is told what was done.
    const p2p = sb.emulator.state.p2pChat(leader.open_id).chatId;
    const notices = [...sb.emulator.state.messages.values()].filter(
      (m) => m.chatId === p2p && readCard(m.card).includes('孙悦 已离职'),
    );
    expect(notices).toHaveLength(1);
    expect(readCard(notices[0]?.card)).toContain('"项目群Alpha" → 张伟');
  });

  it('does nothing twice when the same event is delivered again, or /offboard names them', async () => {
    const { sb } = world;
    const { hire } = await onboardedHire('钱多');
    await leave(sb.emulator, hire);
    const run = await settledOffboard((id) => wf().get(id), hire.open_id);
    await eventually(async () => expect(await sb.bot.store.pendingCount()).toBe(0));
    const seq = sb.emulator.kit.calls.at(-1)?.seq ?? 0;

    const again = sb.delivery.userEvent('contact.user.deleted_v3', hire);
    expect((await sb.delivery.settled(again)).state).toBe('delivered');
    const [reply] = await sb.replies(await sb.say('张伟', `/offboard email=${hire.email}`));
    expect(readCard(reply?.card)).toMatch(/已有流程（不会重复）[^\n]*钱多/);
    await eventually(async () => expect(await sb.bot.store.pendingCount()).toBe(0));

    // The only changes since: the reply to /offboard, and the progress card redrawn in place as it was.
    const progress = `/open-apis/im/v1/messages/${run.meta.progress}`;
    const changes = mutatingCalls(sb.emulator, seq).filter((c) => !(c.method === 'PATCH' && c.path === progress));
    expect(changes.map((c) => c.path)).toEqual([
      expect.stringMatching(/^\/open-apis\/im\/v1\/messages\/[^/]+\/reply$/),
    ]);
  });

  it('--dry-run shows every resolved value and makes no call that changes anything', async () => {
    const { sb } = world;
    const { hire } = await onboardedHire('周密');
    const seq = sb.emulator.kit.calls.at(-1)?.seq ?? 0;
    const [plan] = await sb.replies(await sb.say('张伟', `/offboard email=${hire.email} --dry-run`));
    const text = readCard(plan?.card);
    expect(text).toContain('离职计划：周密');
    expect(text).toContain('"项目群Alpha" → 张伟');
    expect(text).toContain(`周密 ✕ ${STANDING.allStaff.email}`);
    expect(text).toContain('Dissolve the chat');
    expect(text).toContain('chenjing@feishu-ops.example: 周密');
    expect(text).toContain('→ 张伟');
    expect(text).toContain('Dry run: nothing was changed');
    expect(mutatingCalls(sb.emulator, seq).map((c) => c.path)).toEqual([
      expect.stringMatching(/^\/open-apis\/im\/v1\/messages\/[^/]+\/reply$/),
    ]);
    expect(await wf().get(`offboard:${hire.open_id}`)).toBeUndefined();
    expect(holdings(sb.emulator, hire).inAllHands).toBe(true);
  });

  it('names a leader who has also left as an amber step, with what to do by hand, and goes on with the rest', async () => {
    const { sb } = world;
    const lead = await announce(sb.emulator, { name: '吴刚', department: 'ops', leader: '张伟' });
    await settledRun((id) => wf().get(id), lead.open_id);
    const { hire, ownChat } = await onboardedHire('郑爽', '吴刚');
    await leave(sb.emulator, lead);
    await settledOffboard((id) => wf().get(id), lead.open_id);
    await leave(sb.emulator, hire);
    const run = await settledOffboard((id) => wf().get(id), hire.open_id);
    expect(statuses(run)).toEqual({ ...OFFBOARD_DONE, 'hand-over': 'attention', notify: 'attention' });
    const handOver = run.steps.find((s) => s.id === 'hand-over')!;
    expect(handOver.reason?.zh_cn).toContain('郑爽 的上级 吴刚 也已离职');
    expect(handOver.reason?.en_us).toContain('name a successor in offboarding.steps[0].to and Retry');
    expect(sb.emulator.state.chats.get(ownChat)?.ownerId).toBe(hire.open_id);
    expect(holdings(sb.emulator, hire)).toMatchObject({ inAllHands: false, mailgroups: [], contacts: 0 });
    const card = await eventually(() => {
      const t = readCard(sb.emulator.state.messages.get(run.meta.progress!)?.card);
      expect(t).toContain('⚠️');
      return t;
    });
    expect(card).toContain('需要人工处理');
    expect(card).not.toMatch(/✗/);
  });

  it("/offboard status lists recent runs and shows one person's steps with the failure's reason; Retry there finishes it", async () => {
    const { sb } = world;
    const { hire } = await onboardedHire('冯唐');
    await control(sb.emulator, 'faults', {
      pathPrefix: '/open-apis/mail/v1/mailgroups/',
      method: 'DELETE',
      code: 1234008,
    });
    await leave(sb.emulator, hire);
    const run = await settledOffboard((id) => wf().get(id), hire.open_id);
    expect(statuses(run)).toMatchObject({ 'mail-groups': 'failed' });

    const [list] = await sb.replies(await sb.say('张伟', '/offboard status'));
    expect(readCard(list?.card)).toContain('最近的离职流程');
    expect(readCard(list?.card)).toMatch(/✗ 1 \*\*冯唐\*\* 5\/6 · 失败：mail-groups/);
    expect(textIn(list?.card, 'en_us')).toMatch(/✗ 1 \*\*冯唐\*\* 5\/6 · failed: mail-groups/);
    // Onboarding runs are not listed among them.
    expect(readCard(list?.card)).not.toContain('/onboard');

    let status;
    for (const asked of ['冯唐', hire.email, hire.enterprise_email, hire.open_id]) {
      [status] = await sb.replies(await sb.say('张伟', `/offboard status ${asked}`));
      const text = readCard(status?.card);
      expect(text, asked).toContain('离职流程：冯唐');
      for (const step of ['hand-over', 'all-hands', 'hr-contacts', 'notify'])
        expect(text).toMatch(new RegExp(`✓ [^\n]*（${step}）`));
      expect(text).toMatch(/✗ 移出邮件组（mail-groups）/);
      expect(text).toContain('Retry failed steps');
      expect(text).toContain('Skip mail-groups');
    }
    const [unknown] = await sb.replies(await sb.say('张伟', '/offboard status 无名氏'));
    expect(readCard(unknown?.card)).toContain('没有 无名氏 的离职流程');
    const [refused] = await sb.replies(await sb.say('李娜', '/offboard status'));
    expect(readCard(refused?.card)).toContain('没有权限');

    await fetch(`${sb.emulator.url}/_emulator/faults`, { method: 'DELETE' });
    await sb.delivery.click({ messageId: status!.messageId, by: '张伟', action: 'offboard.retry' });
    await eventually(async () => expect(statuses((await wf().get(run.id))!)).toEqual(OFFBOARD_DONE));
    expect(holdings(sb.emulator, hire).mailgroups).toEqual([]);
  });
});
