/** Chat info and member list through the real client against the emulator: the shapes the ownership check reads. */
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

describe('chats.get and chats.members', () => {
  it('reports the owner and managers Feishu holds, and every member by name', async () => {
    const gw = gateway();
    const [owner, a, b] = [user('张伟'), user('李娜'), user('王芳')];
    const { chatId } = await gw.chats.create({
      name: '信息群',
      ownerId: owner.open_id,
      userIds: [a.open_id, b.open_id],
    });
    h.emu.state.chats.get(chatId)!.managers.add(a.open_id);
    expect(await gw.chats.get(chatId)).toMatchObject({
      chatId,
      name: '信息群',
      chatMode: 'group',
      ownerId: owner.open_id,
      managerIds: [a.open_id],
    });
    const members = await gw.chats.members(chatId);
    expect(members.map((m) => m.name).sort()).toEqual(['张伟', '李娜', '王芳'].sort());
  });

  it('has no owner open_id for a chat the bot owns', async () => {
    const gw = gateway();
    const { chatId } = await gw.chats.create({ name: '机器人的群' });
    expect((await gw.chats.get(chatId)).ownerId).toBeUndefined();
  });

  it('fails with 232006 for a chat that does not exist', async () => {
    const err = await gateway()
      .chats.get('oc_nosuchchat')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FeishuError);
    expect((err as FeishuError).code).toBe(232006);
  });
});
