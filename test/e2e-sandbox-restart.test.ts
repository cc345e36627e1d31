/**
 * A sandbox restarted on the same data directory: the bot's store is the one it had, the emulator is fresh and knows
 * none of the tokens the earlier one issued. The bot must not call anyone signed in on the strength of those.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { browserSignIn, signInLink } from './helpers/auth.js';
import { eventually, readCard, userNamed } from './helpers/provisioning.js';
import { testSandbox, textIn } from './helpers/sandbox.js';

const dataDir = mkdtempSync(join(tmpdir(), 'sandbox-restart-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

type Sb = Awaited<ReturnType<typeof testSandbox>>;
async function reply(sb: Sb, text: string, from = '张伟') {
  const [answer] = await sb.replies(await sb.say(from, text));
  if (!answer) throw new Error(`no reply to ${text}`);
  return answer;
}

describe('a sandbox restart', () => {
  it('forgets the sign-ins whose tokens the fresh emulator never issued', async () => {
    const first = await testSandbox({}, { dataDir });
    try {
      const login = await reply(first, '/login');
      expect((await browserSignIn(signInLink(login.card), userNamed(first.emulator, '张伟').open_id)).status).toBe(200);
      await eventually(async () =>
        expect(textIn((await reply(first, '/login')).card, 'en_us')).toContain('Already signed in'),
      );
    } finally {
      await first.close();
    }

    const second = await testSandbox({}, { dataDir });
    try {
      const login = readCard((await reply(second, '/login')).card);
      expect(login).not.toContain('Already signed in');
      expect(login).toContain('需要登录');
      expect(readCard((await reply(second, '/whoami')).card)).toContain('未登录');
      // And a sign-in with the fresh emulator works as the first did.
      const card = (await reply(second, '/login')).card;
      expect((await browserSignIn(signInLink(card), userNamed(second.emulator, '张伟').open_id)).status).toBe(200);
      await eventually(async () =>
        expect(readCard((await reply(second, '/login')).card)).toContain('Already signed in'),
      );
    } finally {
      await second.close();
    }
  });
});
