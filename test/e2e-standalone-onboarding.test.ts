/**
 * The shipped onboarding workflow against `npm run emulator` in a process of its own, with a bot pointed at it as
 * someone trying the bot outside the sandbox would: `--standing` seeds the chats and mail group the workflow names,
 * so `/onboard` runs every step and posts its progress card in the admin chat.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STANDING } from '../src/emulator/seed.js';
import { ALL_DONE, emulatorSignIns, settledRun, statuses } from './helpers/onboarding.js';
import { eventually, readCard } from './helpers/provisioning.js';
import { textIn } from './helpers/sandbox.js';
import { standalone, type Standalone } from './helpers/standalone.js';

describe('npm run emulator -- --standing', () => {
  let world: Standalone;
  beforeAll(async () => {
    // Every user signed in through the emulator's OAuth (陈静 sends the welcome mail).
    world = await standalone({ args: ['--standing'], userTokens: emulatorSignIns });
  }, 30_000);
  afterAll(async () => world?.close());

  it('prints the standing chats and mail group it seeded', () => {
    expect(world.emulator.banner).toContain(STANDING.allHands.chatId);
    expect(world.emulator.banner).toContain(STANDING.admins.chatId);
    expect(world.emulator.banner).toContain(STANDING.allStaff.email);
  });

  it('/onboard runs every step of the shipped workflow and posts the progress card, ending 6/6', async () => {
    const reply = await world.replies(await world.say('张伟', '/onboard email=liuyang@example.com'));
    expect(readCard(reply[0]?.card)).toContain('刘洋');
    const liuyang = (await world.state()).users.find((u) => u.name === '刘洋')!;
    const run = await settledRun((id) => world.bot.app.workflows.get(id), liuyang.open_id);
    expect(statuses(run)).toEqual(ALL_DONE);
    const progress = await eventually(async () => {
      const card = (await world.state()).messages.find(
        (m) => m.chatId === STANDING.admins.chatId && readCard(m.card).includes('刘洋'),
      )?.card;
      expect(readCard(card)).toContain('6/6');
      return card;
    });
    expect(textIn(progress, 'zh_cn').match(/✓/g)).toHaveLength(6);
  });
});
