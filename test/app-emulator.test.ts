/** The app core with the real Feishu ports (official SDK) against the emulator over HTTP, and a real SQLite store. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { escapeMd, successCard } from '../cards/index.js';
import { defineAction } from '../src/actions.js';
import { App } from '../src/app.js';
import { parseConfig } from '../src/config.js';
import type { Delivery } from '../src/delivery.js';
import { progressAfter } from '../src/effects/progress.js';
import { startEmulator, type Emulator } from '../src/emulator/index.js';
import { createFeishu } from '../src/feishu/index.js';
import type { FeishuPorts } from '../src/feishu/ports.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { probeDone, probeSpec } from './helpers/probe-command.js';
import { textIn } from './helpers/sandbox.js';

let emu: Emulator;
let dir: string;
let store: SqliteStore;
let gateway: FeishuPorts;

beforeAll(async () => {
  emu = await startEmulator();
  dir = mkdtempSync(join(tmpdir(), 'app-emu-'));
  store = new SqliteStore(join(dir, 'bot.sqlite'));
  gateway = createFeishu({ appId: emu.state.app.appId, appSecret: emu.state.app.appSecret, domain: emu.url });
});
afterAll(async () => {
  await store.close();
  await emu.close();
  rmSync(dir, { recursive: true, force: true });
});

const config = parseConfig({}, {});
const user = () => emu.state.users.find((u) => !u.resigned && !u.invisible)!;

function userMessage(text: string): Delivery {
  const u = user();
  const chat = emu.state.p2pChat(u.open_id);
  const messageId = emu.state.recordUserMessage({
    chatId: chat.chatId,
    openId: u.open_id,
    content: JSON.stringify({ text }),
  });
  const id = `ev_${messageId}`;
  return {
    kind: 'event',
    type: 'im.message.receive_v1',
    id,
    dedupeKey: messageId,
    receivedAt: 0,
    payload: {
      schema: '2.0',
      header: { event_id: id, event_type: 'im.message.receive_v1' },
      event: {
        sender: { sender_id: { open_id: u.open_id }, sender_type: 'user' },
        message: {
          message_id: messageId,
          chat_id: chat.chatId,
          chat_type: 'p2p',
          message_type: 'text',
          content: JSON.stringify({ text }),
        },
      },
    },
  };
}

const repliesTo = (messageId: string) => [...emu.state.messages.values()].filter((m) => m.parentId === messageId);

describe('app core against the emulator', () => {
  it('replies to /help with a help card in the thread of the message, once even when redelivered', async () => {
    const app = new App({ config, gateway, store });
    const d = userMessage('帮助');
    await app.handleEvent(d);
    await app.handleEvent(d);
    const replies = repliesTo(d.dedupeKey);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.msgType).toBe('interactive');
    expect(JSON.stringify(replies[0]!.card)).toContain(escapeMd('/help [command] [subcommand]'));
    expect(textIn(replies[0]!.card, 'ja_jp')).toContain('ヘルプ');
  });

  it("lands two overlapping runs of one delivery on one message: the quick answer takes the progress card's uuid", async () => {
    // Two instances running the same delivery (a lease that lapsed while the store was out of reach): the first is
    // slow and shows a "still working" card, the second answers at once. Both replies carry one uuid, so Feishu keeps
    // one message and the slow run's result replaces it, instead of a second card beside a card left on working.
    let release: () => void = () => undefined;
    const slow = new Promise<void>((r) => (release = r));
    let runs = 0;
    const app = new App({ config, gateway, store }).command(
      'probe',
      probeSpec,
      progressAfter(
        (a) => ({ zh_cn: `处理 ${a.name}`, en_us: `Working on ${a.name}`, ja_jp: `${a.name} を処理中` }),
        20,
      ),
      async (_ctx, a) => {
        if (++runs === 1) await slow;
        return probeDone(a.name);
      },
    );
    const d = userMessage('/probe 戊');
    const calls = emu.kit.calls.length;
    // Both start before either has shown a progress card: neither sees the other's.
    const first = app.handleEvent(d);
    await app.handleEvent(d);
    await new Promise((r) => setTimeout(r, 60));
    release();
    await first;
    const sent = emu.kit.calls.slice(calls).filter((c) => c.path.endsWith('/reply'));
    expect(sent).toHaveLength(2);
    const uuids = sent.map((c) => (c.body as { uuid?: string }).uuid);
    expect(uuids[0]).toBeDefined();
    expect(new Set(uuids).size).toBe(1);
    const replies = repliesTo(d.dedupeKey);
    expect(replies).toHaveLength(1);
    expect(textIn(replies[0]!.card, 'zh_cn')).toContain('完成 戊');
    expect(textIn(replies[0]!.card, 'zh_cn')).not.toContain('处理 戊');
  });

  it('finishes a slow card action through the delayed-update token after the ack', async () => {
    const u = user();
    const draft = { zh_cn: '草稿', en_us: 'Draft', ja_jp: '下書き' };
    const sent = await gateway.im.sendCard({ openId: u.open_id }, successCard({ title: draft }));
    const token = emu.state.issueCardToken(sent.messageId);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const app = new App({ config, gateway, store, cardBudgetMs: 10 });
    app.action(defineAction('draft.send', z.object({ draftId: z.string() })), async (_ctx, { draftId }) => {
      await gate;
      return {
        card: successCard({
          title: { zh_cn: `已发送 ${draftId}`, en_us: `Sent ${draftId}`, ja_jp: `送信済み ${draftId}` },
        }),
      };
    });
    const answer = await app.handleCard({
      kind: 'card',
      type: 'card.action.trigger',
      id: 'cb_1',
      dedupeKey: 'cb_1',
      receivedAt: 0,
      payload: {
        schema: '2.0',
        header: { event_id: 'cb_1', event_type: 'card.action.trigger' },
        event: {
          operator: { open_id: u.open_id },
          token,
          action: { value: { action: 'draft.send', draftId: 'd_42' }, tag: 'button' },
          context: { open_message_id: sent.messageId, open_chat_id: emu.state.p2pChat(u.open_id).chatId },
        },
      },
    });
    expect(answer.response.card?.type).toBe('raw');
    release();
    await app.handleEvent(answer.continuation!);
    const card = emu.state.messages.get(sent.messageId)!.card;
    expect(textIn(card, 'zh_cn')).toContain('已发送 d_42'); // card titles are plain_text
    expect(textIn(card, 'en_us')).toContain('Sent d_42');
    expect(textIn(card, 'ja_jp')).toContain('送信済み d_42');
    expect(emu.state.cardTokens.get(token)!.usesLeft).toBe(1);
  });
});
