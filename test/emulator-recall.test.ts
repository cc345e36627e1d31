/** Recalling a message on the emulator through the official SDK ("撤回消息"), and a user leaving the directory. */
import * as lark from '@larksuiteoapi/node-sdk';
import { describe, expect, it } from 'vitest';
import { sdkClient } from '../src/emulator/testing.js';
import { control, emulatorRequest, rejection, useEmulator } from './helpers/emulator.js';

/** The SDK's per-call options, as withUserAccessToken makes them. */
type Opts = ReturnType<typeof lark.withUserAccessToken>;
const h = useEmulator({ clientPerTest: true });

const zhang = () => h.emu.state.users[0]!;
const li = () => h.emu.state.users[1]!;
const messages = () => h.client.im.v1.message;
const as = (openId: string) => lark.withUserAccessToken(h.emu.state.issueUserTokens(openId).access.token);
const recall = (id: string, opts?: Opts) => messages().delete({ path: { message_id: id } }, opts);

async function newChat(owner?: string): Promise<string> {
  const res = await h.client.im.v1.chat.create({
    data: { user_id_list: [zhang().open_id, li().open_id], owner_id: owner },
  });
  return res.data!.chat_id!;
}

async function botSays(chatId: string): Promise<string> {
  const res = await messages().create({
    params: { receive_id_type: 'chat_id' },
    data: { receive_id: chatId, msg_type: 'text', content: JSON.stringify({ text: '发错了 Wrong chat' }) },
  });
  return res.data!.message_id!;
}

describe('recall a message', () => {
  it("recalls the bot's message: it is marked deleted, and a reply or a second recall answers 230011", async () => {
    const id = await botSays(await newChat());
    expect((await recall(id)).code).toBe(0);
    expect(h.emu.state.messages.get(id)).toMatchObject({ deleted: true });
    expect((await rejection(recall(id))).code).toBe(230011);
    const reply = messages().reply({
      path: { message_id: id },
      data: { msg_type: 'text', content: JSON.stringify({ text: 're' }) },
    });
    expect((await rejection(reply)).code).toBe(230011);
  });

  it("refuses someone else's message with 230026 unless the operator owns or manages the group", async () => {
    const owned = await newChat(zhang().open_id);
    const fromLi = h.emu.state.recordUserMessage({ chatId: owned, openId: li().open_id, content: '{"text":"hi"}' });
    // The bot created the chat, so it may recall anyone's message there; Li Na may not recall the bot's.
    expect((await recall(fromLi)).code).toBe(0);
    const fromBot = await botSays(owned);
    expect((await rejection(recall(fromBot, as(li().open_id)))).code).toBe(230026);
    expect((await recall(fromBot, as(zhang().open_id))).code).toBe(0);
    const p2p = h.emu.state.p2pChat(li().open_id);
    const inP2p = h.emu.state.recordUserMessage({ chatId: p2p.chatId, openId: li().open_id, content: '{"text":"x"}' });
    expect((await rejection(recall(inP2p))).code).toBe(230026);
  });

  it('answers 230009 for its own message after 24 hours and 230001 for an unknown id', async () => {
    const id = await botSays(await newChat());
    await control(h.emu, 'time', { advanceSeconds: 24 * 3600 + 1 });
    h.client = sdkClient(h.emu); // the cached tenant token has expired too
    expect((await rejection(recall(id))).code).toBe(230009);
    expect((await rejection(recall('om_nope'))).code).toBe(230001);
  });

  it('answers 230002 when the bot has left the chat', async () => {
    const chatId = await newChat(zhang().open_id);
    const id = await botSays(chatId);
    h.emu.state.chats.get(chatId)!.bots.clear();
    expect((await rejection(recall(id))).code).toBe(230002);
  });

  it('is limited to 50 a second and 1000 a minute', async () => {
    const route = 'DELETE /open-apis/im/v1/messages/:message_id';
    const limits = (await control(h.emu, 'limits')).limits as Record<string, unknown>;
    expect(limits[route]).toMatchObject({ perSecond: 50, perMinute: 1000 });
    await control(h.emu, 'limits', { route, perSecond: 1 });
    const chatId = await newChat();
    await recall(await botSays(chatId));
    const over = await rejection(recall(await botSays(chatId)));
    expect([over.status, over.code]).toEqual([429, 99991400]);
  });
});

describe('a user leaves (POST /_emulator/events/user-deleted)', () => {
  it('marks the user resigned and pushes contact.user.deleted_v3 with the user object', async () => {
    const leaver = li();
    const refused = await emulatorRequest(h.emu, 'POST', '/_emulator/events/user-deleted', { user: leaver.open_id });
    expect(refused.body.error).toMatch(/no bot configured/);
    expect(leaver.resigned).toBe(false);

    // Nobody listens there: the push is recorded and retried in the background, which is all this test needs.
    h.emu.delivery.configure({ eventUrl: 'http://127.0.0.1:9/webhook/event' });
    const done = await control(h.emu, 'events/user-deleted', { user: leaver.enterprise_email });
    expect(done).toMatchObject({ type: 'contact.user.deleted_v3', user: { open_id: leaver.open_id } });
    expect(h.emu.delivery.events.at(-1)?.payload).toMatchObject({
      header: { event_type: 'contact.user.deleted_v3' },
      event: {
        object: {
          open_id: leaver.open_id,
          union_id: leaver.union_id,
          user_id: leaver.user_id,
          email: leaver.email,
          enterprise_email: leaver.enterprise_email,
          leader_user_id: leaver.leader_user_id,
          status: { is_resigned: true, is_activated: false },
        },
      },
    });
    const user = await h.client.contact.v3.user.get({ path: { user_id: leaver.open_id } });
    expect(user.data?.user?.status?.is_resigned).toBe(true);
    const send = messages().create({
      params: { receive_id_type: 'open_id' },
      data: { receive_id: leaver.open_id, msg_type: 'text', content: JSON.stringify({ text: 'bye' }) },
    });
    expect((await rejection(send)).code).toBe(230029);

    const again = await emulatorRequest(h.emu, 'POST', '/_emulator/events/user-deleted', { user: leaver.open_id });
    expect(again.body.error).toMatch(/already left/);
    await control(h.emu, 'reset', {});
    expect(h.emu.state.userByOpenId(leaver.open_id)?.resigned).toBe(false);
  });
});
