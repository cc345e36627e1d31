/** The offboarding workflow in app.config.json: the shipped one is valid, and each mistake is named by its path. */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config.js';
import { shippedConfig } from './helpers/onboarding.js';

const problemsOf = (offboarding: unknown): string[] => {
  try {
    parseConfig({ offboarding }, {});
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
};

describe('offboarding configuration', () => {
  it('accepts the shipped workflow, chats handed over before anyone is removed from them', () => {
    const config = parseConfig(shippedConfig(), {});
    expect(config.app.offboarding.steps.map((s) => s.kind)).toEqual([
      'transfer-chats',
      'reverse-onboarding',
      'remove-from-mailgroups',
      'remove-from-chats',
      'delete-contacts',
      'notify',
    ]);
    expect(config.app.commands.offboard?.allow).toEqual(['admins']);
  });

  it('refuses a removal from chats before the hand-over, an unknown kind and a bad chat id, each by its path', () => {
    expect(
      problemsOf({
        steps: [
          { id: 'out', kind: 'remove-from-chats', chats: ['oc_abc'] },
          { id: 'hand', kind: 'transfer-chats' },
          { id: 'typo', kind: 'remove-from-everything' },
          { id: 'bad', kind: 'remove-from-chats', chats: ['chat-1'] },
        ],
      }),
    ).toEqual([
      'app.config.json offboarding.steps.2.kind: kind must be one of reverse-onboarding, remove-from-mailgroups, transfer-chats, remove-from-chats, delete-contacts, notify',
      'app.config.json offboarding.steps.3.chats.0: must be a chat id such as oc_1a2b3c',
    ]);
    expect(
      problemsOf({
        steps: [
          { id: 'undo', kind: 'reverse-onboarding' },
          { id: 'hand', kind: 'transfer-chats', to: 'ou_abc' },
        ],
      }),
    ).toEqual([
      'app.config.json offboarding.steps.0.kind: reverse-onboarding must come after transfer-chats (steps[1]): an owner cannot be removed from a chat',
    ]);
  });
});
