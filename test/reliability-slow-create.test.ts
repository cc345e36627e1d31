/**
 * A chat create whose answer comes after the request timeout. The client repeats it with its
 * uuid (Feishu says 232068 "being created" meanwhile, then answers with the same chat), the user first sees a
 * "still working" card that is then replaced by the truth, and no card invites a re-send.
 * Scaled down: a 4 s create against a 1 s request timeout stands for the 12 s create against the 10 s default.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { callsTo, control, eventually, groupChats, readCard } from './helpers/provisioning.js';
import { testSandbox } from './helpers/sandbox.js';

describe('a chat create that outlasts the request timeout', () => {
  let sb: Awaited<ReturnType<typeof testSandbox>> | undefined;
  afterEach(async () => {
    await sb?.close();
    sb = undefined;
  });

  it('a 12 s chat create ends in one chat and a success card', async () => {
    sb = await testSandbox({}, { bot: { timeoutMs: 1_000 } });
    const emulator = sb.emulator;
    await control(emulator, 'faults', { pathPrefix: '/open-apis/im/v1/chats', latencyMs: 4_000, count: 1 });
    const messageId = await sb.say('张伟', '/group create 慢慢建的群');

    // Past the 2 s mark the user is told the work goes on, not that it failed.
    const [progress] = await sb.replies(messageId, 1, 5_000);
    expect(progress).toBeDefined();
    expect(readCard(progress!.card)).toMatch(/Still working/);
    expect(readCard(progress!.card)).not.toMatch(/Could not create/);

    await eventually(
      () => expect(readCard(emulator.state.messages.get(progress!.messageId)!.card)).toMatch(/Group chat created/),
      20_000,
    );
    expect(groupChats(emulator).filter((c) => c.name === '慢慢建的群')).toHaveLength(1);
    // Every try carried the same uuid, and one of them met the create still running.
    const creates = callsTo(emulator, '/open-apis/im/v1/chats').filter((c) => c.path === '/open-apis/im/v1/chats');
    expect(creates.length).toBeGreaterThanOrEqual(2);
    expect(new Set(creates.map((c) => c.query.uuid)).size).toBe(1);
    expect(creates.some((c) => c.code === 232068)).toBe(true);
    // One answer, updated in place: no second card, nothing that suggests sending the command again.
    const replies = await sb.replies(messageId);
    expect(replies).toHaveLength(1);
    expect(readCard(replies[0]!.card)).not.toMatch(/Could not|再发|send it again/i);
  });
});

describe('a retryable failure of a command', () => {
  let sb: Awaited<ReturnType<typeof testSandbox>> | undefined;
  afterEach(async () => {
    await sb?.close();
    sb = undefined;
  });
  // One try per call in the client, so the handler meets the failure; quick inbox retries.
  const bot = (maxAttempts: number) => ({
    gateway: { maxAttempts: 1, idempotentPatienceMs: 0 },
    inbox: { maxAttempts, retryDelayMs: () => 50, pollMs: 50 },
  });

  it('goes back to the inbox, and the rerun ends in one chat and one success card', async () => {
    sb = await testSandbox({}, { bot: bot(5) });
    await control(sb.emulator, 'faults', {
      pathPrefix: '/open-apis/im/v1/chats',
      method: 'POST',
      drop: true,
      count: 1,
    });
    const messageId = await sb.say('张伟', '/group create 重试后建成的群');
    await eventually(
      () => expect(groupChats(sb!.emulator).filter((c) => c.name === '重试后建成的群')).toHaveLength(1),
      15_000,
    );
    const [reply, ...more] = await sb.replies(messageId);
    expect(more).toEqual([]);
    expect(readCard(reply!.card)).toMatch(/Group chat created/);
    expect(readCard(reply!.card)).not.toMatch(/Something went wrong|结果未知/);
  });

  it('ends, when Feishu never answers, in an honest "outcome unknown" card that replaces the "still working" one', async () => {
    sb = await testSandbox({}, { bot: bot(2) });
    // Past the 2 s mark a "still working" card shows, then the answer is lost: twice, on both attempts.
    await control(sb.emulator, 'faults', {
      pathPrefix: '/open-apis/im/v1/chats',
      method: 'POST',
      drop: true,
      latencyMs: 2_500,
    });
    const messageId = await sb.say('张伟', '/group create 不知道建没建的群');
    const [progress] = await sb.replies(messageId, 1, 5_000);
    expect(readCard(progress!.card)).toMatch(/Still working/);
    await eventually(
      () =>
        expect(readCard(sb!.emulator.state.messages.get(progress!.messageId)!.card)).toMatch(
          /结果未知.*Outcome unknown/s,
        ),
      20_000,
    );
    const card = readCard(sb.emulator.state.messages.get(progress!.messageId)!.card);
    expect(card).toMatch(/Check in Feishu first/);
    expect(await sb.replies(messageId)).toHaveLength(1);
  });
});
