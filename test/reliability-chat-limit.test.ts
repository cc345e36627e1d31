/**
 * Feishu limits messages to 5 per second per chat (230020, "发送消息"). A burst of commands in one chat
 * must get every answer: the client spends the chat's budget instead of collecting 230020s, and a reply that still
 * meets the limit is repeated (with its uuid) until delivered. Runs on a 10× clock shared by the emulator and the
 * bot's gateway, so 200 answers at 5 per second take seconds, not 40.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, readCard } from './helpers/provisioning.js';
import { scaledClock } from './helpers/clock.js';
import { testSandbox } from './helpers/sandbox.js';

describe('replies under the per-chat message limit', () => {
  let sb: Awaited<ReturnType<typeof testSandbox>> | undefined;
  afterEach(async () => {
    await sb?.close();
    sb = undefined;
  });

  it('200 /help from one user get 200 answers under the per-chat limit', async () => {
    const scale = 10;
    sb = await testSandbox({ inbox: { concurrency: 10 } }, { timeScale: scale, bot: { gateway: scaledClock(scale) } });
    const emulator = sb.emulator;
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) ids.push(await sb.say('张伟', '/help'));
    const answered = () =>
      ids.filter((id) =>
        [...emulator.state.messages.values()].some((m) => m.parentId === id && m.sender.type === 'app'),
      );
    await eventually(() => expect(answered()).toHaveLength(200), 60_000);
    for (const id of ids) {
      const replies = [...emulator.state.messages.values()].filter((m) => m.parentId === id && m.sender.type === 'app');
      expect(replies).toHaveLength(1);
      expect(readCard(replies[0]!.card)).not.toMatch(/frequency|频率|Could not/i);
    }
  }, 90_000);
});
