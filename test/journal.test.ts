/**
 * The change journal keeps what a change did in every language; records written before the catalog (Chinese and
 * English only) still load and show, English standing in for Japanese.
 */
import { describe, expect, it } from 'vitest';
import { changeCard } from '../handlers/undo.js';
import { loadChange } from '../src/changes/journal.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { textIn } from './helpers/sandbox.js';

describe('a change recorded before the catalog', () => {
  it('loads with its Chinese and English, and its card shows them, English for Japanese readers', async () => {
    const store = new SqliteStore(':memory:');
    try {
      const old = {
        id: 'c1',
        actor: 'ou_1',
        kind: 'onboard',
        rule: 'onboard',
        title: { zh: '孙悦已入职', en: '孙悦 is onboarded' },
        at: Date.now(),
        steps: [
          { undo: { op: 'chat.dissolve', chatId: 'oc_1', name: '新人群' }, state: 'done' },
          {
            undo: {
              op: 'message.recall',
              messageId: 'om_1',
              label: { zh: '给 孙悦 的欢迎卡片', en: 'the welcome card' },
            },
            state: 'failed',
            problem: { zh: '消息太旧，无法撤回', en: 'too old to recall' },
          },
        ],
      };
      // As the journal's keyspace ('change') stored it.
      await store.set('change:c1', JSON.stringify(old), 60_000);
      const change = await loadChange(store, 'c1');
      expect(change?.title).toEqual({ zh_cn: '孙悦已入职', en_us: '孙悦 is onboarded', ja_jp: '孙悦 is onboarded' });

      const card = changeCard(change!, true, 24);
      expect(textIn(card, 'zh_cn')).toContain('撤回消息：给 孙悦 的欢迎卡片');
      expect(textIn(card, 'zh_cn')).toContain('消息太旧，无法撤回');
      expect(textIn(card, 'en_us')).toContain('Recall the message: the welcome card');
      expect(textIn(card, 'ja_jp')).toContain('メッセージの送信を取り消す：the welcome card');
      expect(textIn(card, 'ja_jp')).toContain('too old to recall');
      expect(textIn(card, 'ja_jp')).toContain('孙悦 is onboarded');
    } finally {
      await store.close();
    }
  });
});
