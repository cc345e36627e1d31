/**
 * Every registered command and card action × {allowed, refused} user, built from the running app's registry so a
 * new command or action cannot skip it. Each rule allows 李娜 only: 刘洋 must be refused before any handler runs,
 * changing nothing in Feishu (a refused click also leaves its card as it was); 李娜 must get past authorization.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerHandlers, type MailAuth } from '../handlers/index.js';
import { App } from '../src/app.js';
import type { Card } from '../src/card.js';
import { Sealer } from '../src/auth/seal.js';
import { commandKey } from '../src/commands/registry.js';
import { parseConfig } from '../src/config.js';
import { silentLogger } from '../src/log.js';
import { openIdFor } from '../src/emulator/seed.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { groupChats, mailState } from './helpers/provisioning.js';
import { RecordingGateway } from './helpers/recording-gateway.js';
import { testSandbox } from './helpers/sandbox.js';

const ALLOWED = { name: '李娜', openId: openIdFor('lina') };
const REFUSED = { name: '刘洋', openId: openIdFor('liuyang') };

/** Registration only stores the sign-in port; no rule lookup calls it. */
const unusedAuth: MailAuth = {
  status: () => Promise.reject(new Error('not used while registering')),
  start: () => Promise.reject(new Error('not used while registering')),
  forget: () => Promise.reject(new Error('not used while registering')),
  validMinutes: 10,
};

/** The rule names the app knows, read from a registry assembled the way src/bot.ts assembles it (mail included). */
function registeredRules(): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'authz-table-'));
  const store = new SqliteStore(join(dir, 'bot.sqlite'));
  try {
    const app = new App({ config: parseConfig({}, {}), gateway: new RecordingGateway(), store });
    registerHandlers(app, {
      auth: unusedAuth,
      sealer: new Sealer(randomBytes(32)),
      approvals: { store, gateway: new RecordingGateway(), logger: silentLogger, enqueue: async () => 'accepted' },
    });
    return app.rules();
  } finally {
    void store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

let sb: Awaited<ReturnType<typeof testSandbox>>;
beforeAll(async () => {
  const commands = Object.fromEntries(registeredRules().map((r) => [r, { allow: [ALLOWED.openId] }]));
  sb = await testSandbox({ commands });
});
afterAll(async () => sb?.close());

/** What a refused request must not change. */
const effects = () => {
  const mail = mailState(sb.emulator);
  return {
    chats: groupChats(sb.emulator).map((c) => [c.chatId, [...c.members].sort()]),
    mailgroups: mail.mailgroups.length,
    contacts: Object.values(mail.contacts).flat().length,
  };
};

let run = 0;
const origin = () => ({ id: `table_${++run}`, type: 'authz.table', dedupeKey: `table_${run}` });

describe('every registered command × {allowed, refused}', () => {
  it('covers every command of the running app', () => {
    expect(sb.bot.app.commands().length).toBeGreaterThan(1);
    // The table's rules are the running bot's: a command registered only in src/bot.ts's assembly cannot slip by.
    expect(registeredRules()).toEqual(sb.bot.app.rules());
  });

  for (const user of [ALLOWED, REFUSED]) {
    it(`${user === ALLOWED ? 'allows' : 'refuses'} ${user.name} every command`, async () => {
      for (const entry of sb.bot.app.commands()) {
        const line = entry.spec.examples[0] ?? `/${commandKey(entry)}`;
        const before = effects();
        const outcome = await sb.bot.app.run(line, { openId: user.openId }, origin());
        if (user === REFUSED) {
          expect(outcome, line).toBe('refused');
          expect(effects(), line).toEqual(before);
        } else {
          expect(outcome, line).not.toBe('refused');
        }
      }
    });
  }
});

describe('every registered card action × {allowed, refused}', () => {
  it('covers every action of the running app', () => {
    expect(sb.bot.app.actions().length).toBeGreaterThan(1);
  });

  for (const user of [ALLOWED, REFUSED]) {
    it(`${user === ALLOWED ? 'lets' : 'refuses'} ${user.name} click every action`, async () => {
      for (const { name } of sb.bot.app.actions()) {
        // A card carrying the action's button, posted to the user by the bot, as any card with it would be.
        const card: Card = {
          schema: '2.0',
          config: { update_multi: true },
          body: {
            elements: [
              {
                tag: 'button',
                text: { tag: 'plain_text', content: name },
                behaviors: [{ type: 'callback', value: { action: name } }],
              },
            ],
          },
        };
        const { messageId } = await sb.bot.gateway.im.sendCard({ openId: user.openId }, card);
        const before = effects();
        const click = await sb.delivery.click({ messageId, by: user.name, action: name });
        const toast = click.response?.toast as { type?: string; i18n?: { en_us?: string } } | undefined;
        if (user === REFUSED) {
          expect(toast?.type, name).toBe('error');
          expect(toast?.i18n?.en_us, name).toMatch(/^Not allowed/);
          expect(click.response?.card, name).toBeUndefined();
          expect(sb.emulator.state.messages.get(messageId)?.card, name).toEqual(card);
          expect(effects(), name).toEqual(before);
        } else {
          expect(toast?.i18n?.en_us ?? '', name).not.toMatch(/^Not allowed/);
        }
      }
    });
  }
});
