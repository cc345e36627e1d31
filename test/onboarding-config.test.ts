/** The onboarding workflow in app.config.json: the shipped one is valid, and each mistake is named by its path. */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config.js';
import { startEmulator } from '../src/emulator/index.js';
import { shippedConfig } from './helpers/onboarding.js';

const problemsOf = (onboarding: unknown): string[] => {
  try {
    parseConfig({ onboarding }, {});
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
};

describe('onboarding configuration', () => {
  it('accepts the shipped workflow', () => {
    const config = parseConfig(shippedConfig(), {});
    expect(config.app.onboarding.steps.map((s) => s.kind)).toEqual([
      'add-to-chats',
      'team-chat',
      'mailgroups',
      'mail-contact',
      'welcome-draft',
      'welcome-card',
    ]);
    expect(config.app.commands.onboard?.allow).toEqual(['admins']);
  });

  it('names an unknown step kind, an unknown template field, a need on a later step and a repeated id', () => {
    expect(problemsOf({ steps: [{ id: 'a', kind: 'fax' }] }).join('\n')).toMatch(
      /onboarding\.steps\.0.*kind must be one of add-to-chats/,
    );
    expect(
      problemsOf({ steps: [{ id: 'card', kind: 'welcome-card', title: 'Hi {nickname}', body: 'x' }] }).join('\n'),
    ).toMatch(/onboarding\.steps\.0\.title: unknown \{field\}/);
    expect(
      problemsOf({
        steps: [
          { id: 'a', kind: 'mail-contact', mailbox: 'hr@x.example', needs: ['b'] },
          { id: 'b', kind: 'mail-contact', mailbox: 'hr@x.example' },
        ],
      }).join('\n'),
    ).toMatch(/onboarding\.steps\.0\.needs: "b" must be the id of an earlier step/);
    expect(
      problemsOf({
        steps: [
          { id: 'a', kind: 'mail-contact', mailbox: 'hr@x.example' },
          { id: 'a', kind: 'mail-contact', mailbox: 'hr@x.example' },
        ],
      }).join('\n'),
    ).toMatch(/onboarding\.steps\.1\.id: step id "a" is used twice/);
    expect(problemsOf({ adminChat: 'general' }).join('\n')).toMatch(/onboarding\.adminChat: must be a chat id/);
  });
});

describe("the emulator's new-hire route", () => {
  it('adds a user with department and leader, pushes contact.user.created_v3, and refuses an unknown department or leader', async () => {
    const emu = await startEmulator();
    try {
      const post = (body: unknown) =>
        fetch(`${emu.url}/_emulator/events/user-created`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const unconfigured = await post({ name: '孙悦', department: 'ops' });
      expect(await unconfigured.json()).toEqual({ error: expect.stringContaining('no bot configured') });
      expect(emu.state.users.some((u) => u.name === '孙悦')).toBe(false);
      // Nobody listens there: the push is recorded and retried in the background, which is all this test needs.
      emu.delivery.configure({ eventUrl: 'http://127.0.0.1:9/webhook/event' });
      const ok = await post({ name: '孙悦', enName: 'Sun Yue', department: 'ops', leader: '张伟', jobTitle: 'SRE' });
      expect(ok.status).toBe(200);
      const { user, type } = (await ok.json()) as {
        user: { open_id: string; email: string; leader_user_id: string };
        type: string;
      };
      expect(type).toBe('contact.user.created_v3');
      expect(user.email).toBe('sun.yue@example.com');
      expect(user.leader_user_id).toBe(emu.state.users.find((u) => u.name === '张伟')?.user_id);
      expect(emu.delivery.events.at(-1)?.payload).toMatchObject({
        event: { object: { open_id: user.open_id, name: '孙悦' } },
      });
      expect(emu.state.userByOpenId(user.open_id)?.department_ids).toHaveLength(1);

      expect(await (await post({ name: 'x', department: 'sales' })).json()).toEqual({
        error: expect.stringContaining('unknown department "sales"'),
      });
      expect(await (await post({ name: 'x', department: 'ops', leader: 'nobody' })).json()).toEqual({
        error: expect.stringContaining('no leader nobody'),
      });
      await fetch(`${emu.url}/_emulator/reset`, { method: 'POST' });
      expect(emu.state.userByOpenId(user.open_id)).toBeUndefined();
    } finally {
      await emu.close();
    }
  });
});
