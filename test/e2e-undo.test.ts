/**
 * Undo end to end: a command changes the emulator's world, its card's Undo (as Feishu's callback, through the SDK
 * gateway) takes back exactly that change, once, for the person who made it or an admin, within the window.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openIdFor } from '../src/emulator/seed.js';
import type { Message } from '../src/emulator/state.js';
import { callsTo, control, groupChats, mailState, readCard } from './helpers/provisioning.js';
import { testSandbox, textIn } from './helpers/sandbox.js';

let sb: Awaited<ReturnType<typeof testSandbox>>;
beforeAll(async () => {
  sb = await testSandbox({ admins: [openIdFor('wangfang')] });
});
afterAll(async () => sb?.close());
beforeEach(() => control(sb.emulator, 'reset', {}));

async function command(text: string, from = '张伟'): Promise<Message> {
  const [reply] = await sb.replies(await sb.say(from, text));
  if (!reply) throw new Error(`no reply to ${text}`);
  return reply;
}

const undo = (card: Message, by = '张伟') =>
  sb.delivery.click({ messageId: card.messageId, by, action: 'change.undo' });

/** What a person could see in Feishu: the live chats with their members, the mail groups, the contacts. */
function world() {
  const mail = mailState(sb.emulator);
  return {
    chats: groupChats(sb.emulator)
      .filter((c) => c.dissolvedAt === undefined)
      .map((c) => ({ name: c.name, owner: c.ownerId, members: [...c.members].sort() })),
    mailgroups: mail.mailgroups.map((g) => ({ email: g.email, members: g.members })),
    contacts: Object.fromEntries(Object.entries(mail.contacts).filter(([, list]) => list.length > 0)),
  };
}

const chatIdIn = (card: Message): string => {
  const id = /oc_[A-Za-z0-9]+/.exec(readCard(card.card))?.[0];
  if (!id) throw new Error('no chat id on the card');
  return id;
};

describe('Undo from the card of each operation leaves the emulator as it was', () => {
  it('/group create → Undo dissolves the chat it made', async () => {
    const before = world();
    const reply = await command('/group create 撤销群 @李娜');
    expect(world()).not.toEqual(before);
    const r = await undo(reply);
    expect(textIn(r.card, 'zh_cn')).toContain('已撤销');
    expect(textIn(r.card, 'zh_cn')).toContain('解散群聊“撤销群”');
    expect(textIn(r.card, 'en_us')).toContain('Dissolve the chat "撤销群"');
    expect(textIn(r.card, 'ja_jp')).toContain('グループチャット「撤销群」を解散する');
    expect(world()).toEqual(before);
  });

  it('/group add → Undo removes only the members it added, not who was there before', async () => {
    const created = await command('/group create 项目群 @李娜');
    const chatId = chatIdIn(created);
    const before = world();
    const added = await command(`/group add ${chatId} @王芳 @李娜`);
    expect(readCard(added.card)).toContain('王芳');
    const r = await undo(added);
    expect(readCard(r.card)).toContain('已撤销');
    expect(world()).toEqual(before);
  });

  it('/mailgroup create → Undo deletes the mail group with its members', async () => {
    const before = world();
    const reply = await command('/mailgroup create undo-team@feishu-ops.example @李娜 @王芳');
    expect(world().mailgroups).toHaveLength(before.mailgroups.length + 1);
    const r = await undo(reply);
    expect(readCard(r.card)).toContain('删除邮件组 undo-team@feishu-ops.example');
    expect(world()).toEqual(before);
  });

  it('/contact add → Undo deletes the contact', async () => {
    const before = world();
    const reply = await command('/contact add 供应商 email=vendor@supplier.example company=供应商公司');
    const r = await undo(reply);
    expect(readCard(r.card)).toContain('删除联系人 供应商');
    expect(world()).toEqual(before);
  });
});

describe('Undo happens once, for the right people', () => {
  it('dissolves once when Undo is clicked twice and every callback is pushed twice', async () => {
    await control(sb.emulator, 'bot', { ...sb.delivery.endpoint, duplicateAfterSuccess: true });
    try {
      const reply = await command('/group create 两次群');
      const chatId = chatIdIn(reply);
      // A double click: both land before the card changes.
      const answers = await Promise.all([undo(reply), undo(reply)]);
      expect(answers.map((a) => a.status ?? 200)).toEqual([200, 200]);
      await new Promise((r) => setTimeout(r, 300));
      expect(callsTo(sb.emulator, `/open-apis/im/v1/chats/${chatId}`, 'DELETE')).toHaveLength(1);
    } finally {
      await control(sb.emulator, 'bot', { ...sb.delivery.endpoint, duplicateAfterSuccess: false });
    }
  });

  it("answers someone else's Undo with an error toast and changes nothing", async () => {
    const reply = await command('/group create 别人的群');
    const before = world();
    const r = await undo(reply, '李娜');
    expect(JSON.stringify(r.response)).toContain('只有操作者本人或管理员可以撤销');
    expect(world()).toEqual(before);
    expect(readCard(r.card)).toContain('群聊已创建');
  });

  it("lets an admin undo someone else's change", async () => {
    const before = world();
    const reply = await command('/contact add 管理员撤销 email=admin-undo@supplier.example');
    const r = await undo(reply, '王芳');
    expect(readCard(r.card)).toContain('已撤销');
    expect(world()).toEqual(before);
  });
});

describe('/undo and /audit', () => {
  it('/undo offers your latest change to confirm, and its Undo takes it back', async () => {
    const before = world();
    await command('/group create 最近的群');
    const offer = await command('/undo');
    expect(readCard(offer.card)).toContain('创建了群聊“最近的群”');
    const r = await undo(offer);
    expect(readCard(r.card)).toContain('已撤销');
    expect(world()).toEqual(before);
    // What /undo offers next is an older change, never the one already undone.
    expect(readCard((await command('/undo')).card)).not.toContain('最近的群');
  });

  it('/audit is for admins, lists who did what, and offers Undo where it applies', async () => {
    await command('/group create 审计群');
    expect(readCard((await command('/audit', '李娜')).card)).toContain('没有权限');
    const trail = await command('/audit since=1h chat', '王芳');
    const text = readCard(trail.card);
    expect(text).toContain('im.chat.create');
    expect(text).toContain('张伟');
    const r = await undo(trail, '王芳');
    expect(readCard(r.card)).toContain('解散群聊“审计群”');
  });
});

describe('after the undo window', () => {
  it('says the window has passed instead of acting', async () => {
    const late = await testSandbox({ undo: { windowHours: 0.0003 } });
    try {
      const [reply] = await late.replies(await late.say('张伟', '/group create 过期群'));
      await new Promise((r) => setTimeout(r, 1_300));
      const r = await late.delivery.click({ messageId: reply!.messageId, by: '张伟', action: 'change.undo' });
      expect(readCard(r.card)).toContain('已无法撤销');
      expect(JSON.stringify(r.response)).toContain('撤销期限已过');
      expect(groupChats(late.emulator).filter((c) => c.dissolvedAt === undefined)).toHaveLength(1);
    } finally {
      await late.close();
    }
  });
});
