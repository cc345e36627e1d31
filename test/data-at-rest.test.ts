/**
 * What the bot leaves on disk: a data directory only its user can read, and no secret in any file of it, even after
 * the events that carried the verification token were processed and deleted.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testSandbox } from './helpers/sandbox.js';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('data at rest', () => {
  it('keeps the store in a 0700 directory, in 0600 files that hold no secret', async () => {
    const sb = await testSandbox();
    const env = sb.config.env;
    try {
      for (const text of ['/help', '/help group', '/group create 存储检查']) {
        const [reply] = await sb.replies(await sb.say('张伟', text));
        expect(reply).toBeDefined();
      }
      expect(mode(sb.dataDir)).toBe(0o700);
      const files = readdirSync(sb.dataDir);
      expect(files).toEqual(expect.arrayContaining(['bot.sqlite', 'bot.sqlite-wal']));
      for (const f of files) expect([f, mode(join(sb.dataDir, f)).toString(8)]).toEqual([f, '600']);
      const secrets = [env.FEISHU_VERIFICATION_TOKEN, env.FEISHU_ENCRYPT_KEY, env.FEISHU_APP_SECRET].filter((s): s is string => !!s);
      expect(secrets).toHaveLength(3);
      for (const f of files) {
        const bytes = readFileSync(join(sb.dataDir, f));
        for (const secret of secrets) expect(bytes.includes(secret), `${f} holds a secret`).toBe(false);
      }
    } finally {
      await sb.close();
    }
  });
});
