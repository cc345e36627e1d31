/**
 * What the bot leaves on disk: a data directory only its user can read, and no secret in any file of it, even after
 * the events that carried the verification token were processed and deleted; a draft's body and Bcc only sealed,
 * and gone once it is sent.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { readCard, userNamed } from './helpers/provisioning.js';
import { testSandbox } from './helpers/sandbox.js';
import { browserSignIn, signInLink } from './helpers/auth.js';

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
      const secrets = [env.FEISHU_VERIFICATION_TOKEN, env.FEISHU_ENCRYPT_KEY, env.FEISHU_APP_SECRET].filter(
        (s): s is string => !!s,
      );
      expect(secrets).toHaveLength(3);
      for (const f of files) {
        const bytes = readFileSync(join(sb.dataDir, f));
        for (const secret of secrets) expect(bytes.includes(secret), `${f} holds a secret`).toBe(false);
      }
    } finally {
      await sb.close();
    }
  });

  it("keeps a draft's body and Bcc sealed in the SQLite files, and deletes its record once the draft is sent", async () => {
    const sb = await testSandbox({ mail: { undoSendSeconds: 0 } });
    const holds = (text: string) =>
      readdirSync(sb.dataDir).filter((f) => readFileSync(join(sb.dataDir, f)).includes(text));
    try {
      const [login] = await sb.replies(await sb.say('张伟', '/login'));
      expect((await browserSignIn(signInLink(login?.card), userNamed(sb.emulator, '张伟').open_id)).status).toBe(200);
      const body = `季度数字 ${randomUUID()}`;
      const bcc = `auditor-${randomUUID().slice(0, 8)}@example.com`;
      const [preview] = await sb.replies(
        await sb.say('张伟', `/draft to=lina@feishu-ops.example bcc=${bcc} subject=存储 ${body}`),
      );
      expect(readCard(preview?.card)).toContain('草稿：存储');
      expect(readCard(preview?.card)).toContain(bcc);
      const draftKeys = () => {
        const db = new Database(join(sb.dataDir, 'bot.sqlite'), { readonly: true });
        try {
          return db
            .prepare<[], { key: string }>("SELECT key FROM kv WHERE key LIKE 'draft:%'")
            .all()
            .map((r) => r.key);
        } finally {
          db.close();
        }
      };
      expect(draftKeys()).toHaveLength(1);
      expect(holds(body)).toEqual([]);
      expect(holds(bcc)).toEqual([]);

      const sent = await sb.delivery.click({ messageId: preview!.messageId, by: '张伟', action: 'draft.send' });
      expect(readCard(sent.card)).toContain('邮件已发送');
      expect(draftKeys()).toEqual([]);
      expect(holds(body)).toEqual([]);
      expect(holds(bcc)).toEqual([]);
    } finally {
      await sb.close();
    }
  });
});
