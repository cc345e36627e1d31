/**
 * One throttled endpoint must not stall unrelated work. Chat creates are held to 2 a minute
 * with two workers; four creates wait on that window, and /help (no throttled call) is still answered at once,
 * because an item waiting for a rate window gives its worker slot back. On a 10× clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { scaledClock } from './helpers/clock.js';
import { eventually, groupChats } from './helpers/provisioning.js';
import { testSandbox } from './helpers/sandbox.js';

describe('a throttled endpoint', () => {
  let sb: Awaited<ReturnType<typeof testSandbox>> | undefined;
  afterEach(async () => {
    await sb?.close();
    sb = undefined;
  });

  it('delays only the items that call it, not every worker', async () => {
    const scale = 10;
    sb = await testSandbox(
      { inbox: { concurrency: 2 }, rateLimits: { 'chat.create': { perSecond: 1, perMinute: 2 } } },
      { timeScale: scale, bot: { gateway: scaledClock(scale) } },
    );
    const emulator = sb.emulator;
    for (let i = 1; i <= 4; i++) await sb.say('张伟', `/group create 限流群${i}`);
    await eventually(() => expect(groupChats(emulator)).toHaveLength(2));
    const helps = [await sb.say('李娜', '/help'), await sb.say('李娜', '/help'), await sb.say('李娜', '/help')];
    for (const id of helps) expect(await sb.replies(id, 1, 3_000)).toHaveLength(1);
    // The /help answers came while the other creates still waited for their minute.
    expect(groupChats(emulator)).toHaveLength(2);
    await eventually(() => expect(groupChats(emulator)).toHaveLength(4), 20_000);
  }, 40_000);
});
