/** The inverses of chat create and add members on the emulator, through the official SDK: dissolve, remove, hand over. */
import * as lark from '@larksuiteoapi/node-sdk';
import { describe, expect, it } from 'vitest';
import { OTHER_BOTS } from '../src/emulator/seed.js';
import type { Chat } from '../src/emulator/state.js';
import { control, rejection, useEmulator } from './helpers/emulator.js';

/** The SDK's per-call options, as withUserAccessToken makes them. */
type Opts = ReturnType<typeof lark.withUserAccessToken>;
const h = useEmulator();

const users = () => h.emu.state.users;
const zhang = () => users()[0]!;
const li = () => users()[1]!;
const wang = () => users()[2]!;
const chats = () => h.client.im.v1.chat;
const members = () => h.client.im.v1.chatMembers;
const as = (openId: string) => lark.withUserAccessToken(h.emu.state.issueUserTokens(openId).access.token);

/** A chat the bot created with Zhang Wei and Li Na in it (the bot owns it unless `owner` is given). */
async function newChat(owner?: string): Promise<string> {
  const res = await chats().create({
    params: { user_id_type: 'open_id' },
    data: { name: '项目群 Project', user_id_list: [zhang().open_id, li().open_id], owner_id: owner },
  });
  return res.data!.chat_id!;
}

/** A chat Zhang Wei created in the client and added the bot to: the bot neither owns nor created it. */
function usersChat(): Chat {
  const chat: Chat = {
    chatId: 'oc_users0000000000000000000000000',
    chatMode: 'group',
    chatType: 'private',
    name: '他人的群 Someone else’s',
    description: '',
    ownerId: zhang().open_id,
    ownerIdType: 'open_id',
    members: new Set([zhang().open_id, li().open_id]),
    managers: new Set(),
    bots: new Set([h.emu.state.app.appId]),
    removedMembers: [],
    createdAt: h.emu.state.now(),
    settings: {},
  };
  h.emu.state.chats.set(chat.chatId, chat);
  return chat;
}

const remove = (chatId: string, ids: string[], opts?: Opts, type: 'open_id' | 'app_id' = 'open_id') =>
  members().delete({ path: { chat_id: chatId }, params: { member_id_type: type }, data: { id_list: ids } }, opts);

/** The route's declared limits, as GET /_emulator/limits shows them. */
async function limitsOf(route: string) {
  return ((await control(h.emu, 'limits')).limits as Record<string, unknown>)[route];
}

describe('dissolve a chat', () => {
  it('dissolves a chat the bot created; afterwards the chat answers 232009 to every call', async () => {
    const chatId = await newChat(zhang().open_id);
    const res = await chats().delete({ path: { chat_id: chatId } });
    expect(res.code).toBe(0);
    expect(h.emu.state.chats.get(chatId)?.dissolvedAt).toBeTypeOf('number');
    for (const call of [
      chats().delete({ path: { chat_id: chatId } }),
      chats().get({ path: { chat_id: chatId } }),
      members().get({ path: { chat_id: chatId } }),
      members().create({ path: { chat_id: chatId }, data: { id_list: [wang().open_id] } }),
      h.client.im.v1.message.create({
        params: { receive_id_type: 'chat_id' },
        data: { receive_id: chatId, msg_type: 'text', content: JSON.stringify({ text: 'hi' }) },
      }),
    ]) {
      expect((await rejection(call)).code).toBe(232009);
    }
  });

  it('refuses with 232017 unless the operator owns the chat or is the bot that created it', async () => {
    const chat = usersChat();
    expect((await rejection(chats().delete({ path: { chat_id: chat.chatId } }))).code).toBe(232017);
    expect((await rejection(chats().delete({ path: { chat_id: chat.chatId } }, as(li().open_id)))).code).toBe(232017);
    expect((await chats().delete({ path: { chat_id: chat.chatId } }, as(zhang().open_id))).code).toBe(0);
  });

  it('answers 232006 for an unknown chat, 232011 for an operator outside it and 232008 for a p2p chat', async () => {
    expect((await rejection(chats().delete({ path: { chat_id: 'oc_nope' } }))).code).toBe(232006);
    const chatId = await newChat();
    expect((await rejection(chats().delete({ path: { chat_id: chatId } }, as(wang().open_id)))).code).toBe(232011);
    const p2p = h.emu.state.p2pChat(zhang().open_id);
    expect((await rejection(chats().delete({ path: { chat_id: p2p.chatId } }))).code).toBe(232008);
  });

  it('is limited to 50 a second and 1000 a minute', async () => {
    const route = 'DELETE /open-apis/im/v1/chats/:chat_id';
    expect(await limitsOf(route)).toMatchObject({ perSecond: 50, perMinute: 1000 });
    await control(h.emu, 'limits', { route, perSecond: 1 });
    await chats().delete({ path: { chat_id: await newChat() } });
    const over = await rejection(chats().delete({ path: { chat_id: await newChat() } }));
    expect([over.status, over.code]).toEqual([429, 99991400]);
  });
});

describe('remove chat members', () => {
  it('removes members and lists ids that name no one or no member in invalid_id_list', async () => {
    const chatId = await newChat();
    const res = await remove(chatId, [li().open_id, wang().open_id, 'ou_nobody']);
    expect(res.data).toEqual({ invalid_id_list: [wang().open_id, 'ou_nobody'] });
    const chat = h.emu.state.chats.get(chatId)!;
    expect([...chat.members]).toEqual([zhang().open_id]);
    expect(chat.removedMembers).toEqual([li().open_id]);
    const listed = await members().get({ path: { chat_id: chatId } });
    expect(listed.data?.items?.map((m) => m.member_id)).toEqual([zhang().open_id]);
  });

  it('takes user_id and app_id too', async () => {
    const other = OTHER_BOTS[0].app_id;
    const res = await chats().create({
      data: { owner_id: zhang().open_id, user_id_list: [li().open_id], bot_id_list: [other] },
    });
    const chatId = res.data!.chat_id!;
    const byUserId = await members().delete({
      path: { chat_id: chatId },
      params: { member_id_type: 'user_id' },
      data: { id_list: [li().user_id] },
    });
    expect(byUserId.data).toEqual({ invalid_id_list: [] });
    expect((await remove(chatId, [other], undefined, 'app_id')).code).toBe(0);
    expect([...h.emu.state.chats.get(chatId)!.bots]).toEqual([h.emu.state.app.appId]);
  });

  it('refuses to remove the owner (232076) and removes no one in that call', async () => {
    const chatId = await newChat(zhang().open_id);
    expect((await rejection(remove(chatId, [li().open_id, zhang().open_id]))).code).toBe(232076);
    expect(h.emu.state.chats.get(chatId)?.members.size).toBe(2);
  });

  it('answers 232014 to a plain member, 232027 when no id names a user and 232001 past 50 ids', async () => {
    const chatId = await newChat();
    expect((await rejection(remove(chatId, [zhang().open_id], as(li().open_id)))).code).toBe(232014);
    expect((await rejection(remove(chatId, ['ou_nobody', 'ou_noone']))).code).toBe(232027);
    // Removing someone who is not (or no longer) a member is harmless: they come back as invalid.
    expect((await remove(chatId, [wang().open_id])).data).toEqual({ invalid_id_list: [wang().open_id] });
    const many = Array.from({ length: 51 }, (_, i) => `ou_${i}`);
    expect((await rejection(remove(chatId, many))).code).toBe(232001);
  });

  it('lets a manager and the owner remove members', async () => {
    const chat = usersChat();
    chat.members.add(wang().open_id);
    chat.managers.add(li().open_id);
    expect((await remove(chat.chatId, [wang().open_id], as(li().open_id))).code).toBe(0);
    expect((await remove(chat.chatId, [li().open_id], as(zhang().open_id))).code).toBe(0);
    expect((await rejection(remove(chat.chatId, [zhang().open_id]))).code).toBe(232014);
  });

  it('answers 232019 to an add that overlaps a remove of the same chat', async () => {
    const chatId = await newChat();
    await control(h.emu, 'faults', {
      pathPrefix: `/open-apis/im/v1/chats/${chatId}/members`,
      method: 'DELETE',
      latencyMs: 300,
      count: 1,
    });
    const removing = remove(chatId, [li().open_id]);
    await new Promise((r) => setTimeout(r, 100));
    const adding = members().create({ path: { chat_id: chatId }, data: { id_list: [wang().open_id] } });
    expect((await rejection(adding)).code).toBe(232019);
    expect((await removing).code).toBe(0);
  });

  it('is limited to 50 a second and 1000 a minute', async () => {
    expect(await limitsOf('DELETE /open-apis/im/v1/chats/:chat_id/members')).toMatchObject({
      perSecond: 50,
      perMinute: 1000,
    });
  });
});

describe('hand a chat over (chat update owner_id)', () => {
  const transfer = (chatId: string, ownerId: string, opts?: Opts) =>
    chats().update(
      { path: { chat_id: chatId }, params: { user_id_type: 'open_id' }, data: { owner_id: ownerId } },
      opts,
    );

  it('makes a member the owner; the bot that created the chat may hand it on again', async () => {
    const chatId = await newChat();
    expect((await transfer(chatId, zhang().open_id)).code).toBe(0);
    expect((await chats().get({ path: { chat_id: chatId } })).data).toMatchObject({
      owner_id: zhang().open_id,
      owner_id_type: 'open_id',
    });
    expect((await transfer(chatId, li().open_id)).code).toBe(0);
    expect(h.emu.state.chats.get(chatId)?.ownerId).toBe(li().open_id);
    expect((await transfer(chatId, zhang().open_id, as(li().open_id))).code).toBe(0);
  });

  it('answers 232012 for a new owner outside the chat and 232030 for an unknown one', async () => {
    const chatId = await newChat();
    expect((await rejection(transfer(chatId, wang().open_id))).code).toBe(232012);
    expect((await rejection(transfer(chatId, 'ou_nobody'))).code).toBe(232030);
    expect(h.emu.state.chats.get(chatId)?.ownerId).toBe(h.emu.state.app.appId);
  });

  it('lets a plain member rename the chat but not hand it over (232016), and nothing at all under only_owner (232002)', async () => {
    const chat = usersChat();
    const asLi = as(li().open_id);
    expect((await rejection(transfer(chat.chatId, li().open_id, asLi))).code).toBe(232016);
    expect(
      (await chats().update({ path: { chat_id: chat.chatId }, data: { name: '新名字 New name' } }, asLi)).code,
    ).toBe(0);
    expect(chat.name).toBe('新名字 New name');
    expect((await rejection(transfer(chat.chatId, li().open_id))).code).toBe(232016);
    await chats().update(
      { path: { chat_id: chat.chatId }, data: { edit_permission: 'only_owner' } },
      as(zhang().open_id),
    );
    const locked = await rejection(chats().update({ path: { chat_id: chat.chatId }, data: { name: 'x' } }, asLi));
    expect(locked.code).toBe(232002);
  });

  it('refuses a manager who is not the owner with 232002', async () => {
    const chat = usersChat();
    chat.managers.add(li().open_id);
    expect((await rejection(transfer(chat.chatId, li().open_id, as(li().open_id)))).code).toBe(232002);
    expect(chat.ownerId).toBe(zhang().open_id);
  });

  it('is limited to 50 a second and 1000 a minute', async () => {
    expect(await limitsOf('PUT /open-apis/im/v1/chats/:chat_id')).toMatchObject({ perSecond: 50, perMinute: 1000 });
  });
});
