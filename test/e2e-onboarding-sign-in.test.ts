/**
 * Onboarding with the bot's own token vault and OAuth sign-in (no stand-in token provider): the welcome draft is
 * written in the sender's mailbox, so a sender who never signed in makes the step wait for them, and their sign-in
 * through the emulator's consent page continues it, unless the hire has left by then: offboarding skips it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSignIn, signInLink } from './helpers/auth.js';
import { leave, settledOffboard } from './helpers/offboarding.js';
import { ALL_DONE, announce, effectsOf, onboardingSandbox, settledRun, statuses } from './helpers/onboarding.js';
import { eventually, readCard, userNamed } from './helpers/provisioning.js';

let world: Awaited<ReturnType<typeof onboardingSandbox>>;
beforeAll(async () => {
  // No userTokens: the bot builds its token vault and the /login flow, as in production.
  world = await onboardingSandbox({ sandbox: { bot: { userTokens: undefined } } });
});
afterAll(async () => world?.sb.close());

describe('the welcome draft of a sender who has not signed in', () => {
  it('waits for the sender, and is drafted once they sign in through the consent page', async () => {
    const { sb } = world;
    const sender = userNamed(sb.emulator, '陈静');
    const hire = await announce(sb.emulator, { name: '韩信', enName: 'Han Xin', department: 'ops', leader: '张伟' });
    const waiting = await settledRun((id) => sb.bot.app.workflows.get(id), hire.open_id);
    expect(statuses(waiting)).toEqual({ ...ALL_DONE, 'welcome-mail': 'waiting' });
    expect(waiting.steps.find((s) => s.id === 'welcome-mail')).toMatchObject({
      waitingFor: sender.open_id,
      reason: { en_us: `waiting for ${sender.name} to sign in` },
    });
    expect(effectsOf(sb.emulator, hire).drafts).toBe(0);

    // The sender does what the card sent to them says: /login, then consent in the browser.
    const [reply] = await sb.replies(await sb.say('陈静', '/login'));
    expect((await browserSignIn(signInLink(reply?.card), sender.open_id)).status).toBe(200);

    const run = await eventually(async () => {
      const r = (await sb.bot.app.workflows.get(`onboard:${hire.open_id}`))!;
      expect(statuses(r)).toEqual(ALL_DONE);
      return r;
    });
    expect(run.steps.find((s) => s.id === 'welcome-mail')?.detail).toMatch(/^chenjing@feishu-ops.example: 欢迎加入/);
    expect(effectsOf(sb.emulator, hire).drafts).toBe(1);
    const [progress] = effectsOf(sb.emulator, hire).progressCards;
    await eventually(() =>
      expect(readCard(sb.emulator.state.messages.get(progress!.messageId)?.card)).toContain('6/6'),
    );
  });

  it('is skipped when the hire leaves first: no draft is made for them once the sender signs in', async () => {
    const { sb } = world;
    const sender = userNamed(sb.emulator, '陈静');
    await sb.replies(await sb.say('陈静', '/logout'));
    const hire = await announce(sb.emulator, { name: '萧何', enName: 'Xiao He', department: 'ops', leader: '张伟' });
    const waiting = await settledRun((id) => sb.bot.app.workflows.get(id), hire.open_id);
    expect(statuses(waiting)).toEqual({ ...ALL_DONE, 'welcome-mail': 'waiting' });

    await leave(sb.emulator, hire);
    await settledOffboard((id) => sb.bot.app.workflows.get(id), hire.open_id);
    const stopped = (await sb.bot.app.workflows.get(`onboard:${hire.open_id}`))!;
    expect(statuses(stopped)).toEqual({ ...ALL_DONE, 'welcome-mail': 'skipped' });
    expect(stopped.steps.find((s) => s.id === 'welcome-mail')?.reason?.en_us).toBe(
      '萧何 has left; their onboarding goes no further',
    );

    const [reply] = await sb.replies(await sb.say('陈静', '/login'));
    expect((await browserSignIn(signInLink(reply?.card), sender.open_id)).status).toBe(200);
    await eventually(async () => expect(await sb.bot.store.pendingCount()).toBe(0));
    expect(effectsOf(sb.emulator, hire).drafts).toBe(0);
    expect(statuses((await sb.bot.app.workflows.get(`onboard:${hire.open_id}`))!)['welcome-mail']).toBe('skipped');
  });
});
