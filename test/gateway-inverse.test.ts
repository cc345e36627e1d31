/**
 * The inverse calls of the real gateway (client, API modules, SDK) against the emulator's endpoints: each takes back
 * what its create did, and taking back what is already gone is done, not failed.
 */
import { describe, expect, it } from 'vitest';
import { FeishuError } from '../src/feishu/errors.js';
import { createFeishu } from '../src/feishu/index.js';
import { useEmulator } from './helpers/emulator.js';

const h = useEmulator();
const gateway = () =>
  createFeishu({
    appId: h.emu.state.app.appId,
    appSecret: h.emu.state.app.appSecret,
    domain: h.emu.url,
    maxAttempts: 1,
  });
const user = (name: string) => h.emu.state.users.find((u) => u.name === name)!;
const LINA = 'lina@feishu-ops.example';

describe('im.recall', () => {
  it('recalls a message the bot sent; a second recall is done too', async () => {
    const gw = gateway();
    const { chatId } = await gw.chats.create({ name: '撤回群', userIds: [user('李娜').open_id] });
    const { messageId } = await gw.im.sendText({ chatId }, '发错了 Wrong chat');
    await gw.im.recall(messageId);
    expect(h.emu.state.messages.get(messageId)?.deleted).toBe(true);
    await expect(gw.im.recall(messageId)).resolves.toBeUndefined();
  });
});

describe('chats', () => {
  it('removeMembers takes out the members; an id that is no longer a member counts as removed', async () => {
    const gw = gateway();
    const [li, wang] = [user('李娜'), user('王芳')];
    const { chatId } = await gw.chats.create({ name: '移出群', ownerId: user('张伟').open_id, userIds: [li.open_id] });
    expect(await gw.chats.removeMembers(chatId, [li.open_id, wang.open_id])).toEqual({
      removed: [li.open_id, wang.open_id],
      notRemoved: [],
    });
    expect([...h.emu.state.chats.get(chatId)!.members]).toEqual([user('张伟').open_id]);
    // Again, as after an answer that was lost: nothing left to do, nothing fails.
    expect(await gw.chats.removeMembers(chatId, [li.open_id])).toEqual({ removed: [li.open_id], notRemoved: [] });
  });

  it('removeMembers keeps the owner (Feishu refuses the batch with 232076) and removes the others', async () => {
    const gw = gateway();
    const [owner, li] = [user('张伟'), user('李娜')];
    const { chatId } = await gw.chats.create({ name: '群主群', ownerId: owner.open_id, userIds: [li.open_id] });
    expect(await gw.chats.removeMembers(chatId, [owner.open_id, li.open_id])).toEqual({
      removed: [li.open_id],
      notRemoved: [owner.open_id],
    });
    expect([...h.emu.state.chats.get(chatId)!.members]).toEqual([owner.open_id]);
  });

  it('dissolve dissolves a chat the bot created; dissolving it again is done', async () => {
    const gw = gateway();
    const { chatId } = await gw.chats.create({ name: '解散群', ownerId: user('张伟').open_id });
    await gw.chats.dissolve(chatId);
    expect(h.emu.state.chats.get(chatId)?.dissolvedAt).toBeTypeOf('number');
    await expect(gw.chats.dissolve(chatId)).resolves.toBeUndefined();
  });

  it('transferOwner hands the chat to a member', async () => {
    const gw = gateway();
    const li = user('李娜');
    const { chatId } = await gw.chats.create({ name: '交接群', userIds: [li.open_id] });
    await gw.chats.transferOwner(chatId, li.open_id);
    expect((await gw.chats.get(chatId)).ownerId).toBe(li.open_id);
  });
});

describe('mail groups', () => {
  async function groupWithMembers() {
    const gw = gateway();
    const { mailgroupId } = await gw.mailgroups.create({ email: 'undo@feishu-ops.example', name: '撤销组 Undo' });
    await gw.mailgroups.addMembers(mailgroupId, [
      { type: 'USER', userId: user('李娜').open_id },
      { type: 'EXTERNAL_USER', email: 'partner@vendor.example' },
    ]);
    return { gw, mailgroupId };
  }

  it('members lists every member with the id removal takes', async () => {
    const { gw, mailgroupId } = await groupWithMembers();
    expect(await gw.mailgroups.members(mailgroupId)).toEqual([
      { type: 'USER', userId: user('李娜').open_id, memberId: expect.any(String) },
      { type: 'EXTERNAL_USER', email: 'partner@vendor.example', memberId: expect.any(String) },
    ]);
  });

  it('removeMembers removes them by member id', async () => {
    const { gw, mailgroupId } = await groupWithMembers();
    const ids = (await gw.mailgroups.members(mailgroupId)).map((m) => m.memberId);
    await gw.mailgroups.removeMembers(mailgroupId, ids);
    expect(await gw.mailgroups.members(mailgroupId)).toEqual([]);
  });

  it('removeMembers with ids already gone (Feishu refuses the call, 1234014) removes those still there', async () => {
    const { gw, mailgroupId } = await groupWithMembers();
    const [first, second] = (await gw.mailgroups.members(mailgroupId)).map((m) => m.memberId);
    await gw.mailgroups.removeMembers(mailgroupId, [first!]);
    await gw.mailgroups.removeMembers(mailgroupId, [first!, second!]);
    expect(await gw.mailgroups.members(mailgroupId)).toEqual([]);
  });

  it('delete deletes the group; deleting it again is done', async () => {
    const { gw, mailgroupId } = await groupWithMembers();
    await gw.mailgroups.delete(mailgroupId);
    expect(await gw.mailgroups.get(mailgroupId)).toBeUndefined();
    await expect(gw.mailgroups.delete('undo@feishu-ops.example')).resolves.toBeUndefined();
  });
});

describe('mailbox.deleteContact', () => {
  it('deletes a contact from a mailbox with the tenant token', async () => {
    const gw = gateway();
    const { contactId } = await gw.mailbox.createContact(LINA, {
      name: '供应商 Vendor',
      mailAddress: 'v@vendor.example',
    });
    await gw.mailbox.deleteContact(LINA, contactId);
    expect(await gw.mailbox.listContacts(LINA)).toEqual([]);
  });

  it('takes a second delete of the same contact as done: the mailbox no longer holds it', async () => {
    const gw = gateway();
    const { contactId } = await gw.mailbox.createContact(LINA, { name: '两次 Twice', mailAddress: 't@vendor.example' });
    await gw.mailbox.deleteContact(LINA, contactId);
    await expect(gw.mailbox.deleteContact(LINA, contactId)).resolves.toBeUndefined();
  });

  it('still fails when the mailbox itself is refused (not a contact already gone)', async () => {
    const gw = gateway();
    const err = await gw.mailbox.deleteContact('nobody@feishu-ops.example', 'mc_missing').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FeishuError);
  });
});
