import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardText, testSandbox } from './helpers/sandbox.js';

describe('sandbox: emulator and bot wired over loopback', () => {
  let sb: Awaited<ReturnType<typeof testSandbox>>;
  beforeAll(async () => {
    sb = await testSandbox();
  });
  afterAll(async () => sb?.close());

  it('answers /help sent by a user with a help card replying to the message', async () => {
    const messageId = await sb.say('张伟', '/help');
    const [reply] = await sb.replies(messageId);
    expect(reply?.msgType).toBe('interactive');
    expect(cardText(reply?.card)).toContain('/help');
  });

  it('pushes every event encrypted and signed, acknowledged on the first attempt', async () => {
    await sb.say('李娜', '/help');
    const events = sb.delivery.events;
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) {
      await sb.delivery.settled(e);
      expect(e.state).toBe('delivered');
      expect(e.attempts[0]?.status).toBe(200);
    }
  });
});
