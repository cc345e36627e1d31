import * as lark from '@larksuiteoapi/node-sdk';
import { describe, expect, it } from 'vitest';
import { loginUser, sdkClient } from '../src/emulator/testing.js';
import { control, rejection, useEmulator } from './helpers/emulator.js';

const h = useEmulator({ clientPerTest: true });

const users = () => h.emu.state.users;
const zhang = () => users()[0]!;
const li = () => users()[1]!;
const text = (t: string) => JSON.stringify({ text: t });
const card2 = (content: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    schema: '2.0',
    config: { update_multi: true },
    body: { elements: [{ tag: 'markdown', content }] },
    ...extra,
  });

async function newChat(data: Record<string, unknown> = {}, params: Record<string, unknown> = {}) {
  const res = await h.client.im.v1.chat.create({
    params: { user_id_type: 'open_id', ...params },
    data: { user_id_list: [zhang().open_id, li().open_id], ...data },
  });
  return res.data!;
}

async function sendToChat(chatId: string, msg_type: string, content: string, uuid?: string) {
  const res = await h.client.im.v1.message.create({
    params: { receive_id_type: 'chat_id' },
    data: { receive_id: chatId, msg_type, content, uuid },
  });
  return res.data!;
}

describe('chat create', () => {
  it('creates a chat shaped like the doc, with the bot and the invited users as members', async () => {
    const chat = await newChat({ name: '运维值班 Ops on-call', description: '值班群', owner_id: zhang().open_id });
    expect(chat.chat_id).toMatch(/^oc_/);
    expect(chat).toMatchObject({
      name: '运维值班 Ops on-call',
      description: '值班群',
      owner_id: zhang().open_id,
      owner_id_type: 'open_id',
      chat_mode: 'group',
      chat_type: 'private',
      group_message_type: 'chat',
      external: false,
      tenant_key: h.emu.state.app.tenantKey,
      join_message_visibility: 'all_members',
      membership_approval: 'no_approval_required',
      hide_member_count_setting: 'all_members',
    });
    const stored = h.emu.state.chats.get(chat.chat_id!)!;
    expect([...stored.members].sort()).toEqual([zhang().open_id, li().open_id].sort());
    expect([...stored.bots]).toEqual([h.emu.state.app.appId]);
  });

  it('names a private chat without a name (无主题) and omits owner fields when the bot owns it', async () => {
    const chat = await newChat();
    expect(chat.name).toBe('(无主题)');
    expect(chat.owner_id).toBeUndefined();
    expect(chat.owner_id_type).toBeUndefined();
  });

  it('returns the same chat for the same uuid and owner within 10 hours, and a new one after', async () => {
    const a = await newChat({ name: 'dedupe' }, { uuid: 'u-1' });
    const b = await newChat({ name: 'dedupe' }, { uuid: 'u-1' });
    expect(b.chat_id).toBe(a.chat_id);
    const otherOwner = await newChat({ name: 'dedupe', owner_id: li().open_id }, { uuid: 'u-1' });
    expect(otherOwner.chat_id).not.toBe(a.chat_id);
    await control(h.emu, 'time', { advanceSeconds: 10 * 3600 + 1 });
    h.client = sdkClient(h.emu); // the cached tenant token has expired too
    const c = await newChat({ name: 'dedupe' }, { uuid: 'u-1' });
    expect(c.chat_id).not.toBe(a.chat_id);
  });

  it('answers a concurrent create with the same uuid with 232068 and creates one chat', async () => {
    // A slow first create keeps the uuid "being created" while the second arrives, however busy the machine is.
    await control(h.emu, 'faults', { pathPrefix: '/open-apis/im/v1/chats', latencyMs: 300, count: 2 });
    const results = await Promise.allSettled([newChat({}, { uuid: 'same' }), newChat({}, { uuid: 'same' })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected')!;
    expect((await rejection(Promise.reject((rejected as PromiseRejectedResult).reason))).code).toBe(232068);
    expect([...h.emu.state.chats.values()].filter((c) => c.chatMode === 'group')).toHaveLength(1);
  });

  it('takes ids of the requested user_id_type and returns the owner in it', async () => {
    const chat = await newChat(
      { owner_id: li().union_id, user_id_list: [zhang().union_id] },
      { user_id_type: 'union_id' },
    );
    expect(chat).toMatchObject({ owner_id: li().union_id, owner_id_type: 'union_id' });
    expect(h.emu.state.chats.get(chat.chat_id!)!.members.has(zhang().open_id)).toBe(true);
  });
});

describe('chat members', () => {
  const add = (chatId: string, ids: string[], params: Record<string, unknown> = {}) =>
    h.client.im.v1.chatMembers.create({
      path: { chat_id: chatId },
      params: { member_id_type: 'open_id', ...params },
      data: { id_list: ids },
    });

  it('adds users and lists resigned and unknown ids when succeed_type is 1', async () => {
    const chat = await newChat({ user_id_list: [] });
    const resigned = users().find((u) => u.resigned)!;
    const res = await add(chat.chat_id!, [li().open_id, resigned.open_id, 'ou_nobody'], { succeed_type: 1 });
    expect(res.data).toEqual({
      invalid_id_list: [resigned.open_id],
      not_existed_id_list: ['ou_nobody'],
      pending_approval_id_list: [],
    });
    expect(h.emu.state.chats.get(chat.chat_id!)!.members.has(li().open_id)).toBe(true);
  });

  it('fails on unknown ids with succeed_type 0 and on any unavailable id with succeed_type 2', async () => {
    const chat = await newChat({ user_id_list: [] });
    expect((await rejection(add(chat.chat_id!, [li().open_id, 'ou_nobody']))).code).toBe(232043);
    const resigned = users().find((u) => u.resigned)!;
    expect((await rejection(add(chat.chat_id!, [li().open_id, resigned.open_id], { succeed_type: 2 }))).code).toBe(
      232043,
    );
    expect(h.emu.state.chats.get(chat.chat_id!)!.members.size).toBe(0);
  });

  it('adds bots by app_id and rejects an unknown chat (232006) and more than 50 users (232001)', async () => {
    const chat = await newChat();
    const res = await add(chat.chat_id!, ['cli_9f427eec54ae901b'], { member_id_type: 'app_id' });
    expect(res.code).toBe(0);
    expect(h.emu.state.chats.get(chat.chat_id!)!.bots.has('cli_9f427eec54ae901b')).toBe(true);
    expect((await rejection(add('oc_missing', [li().open_id]))).code).toBe(232006);
    expect(
      (
        await rejection(
          add(
            chat.chat_id!,
            Array.from({ length: 51 }, (_, i) => `ou_${i}`),
          ),
        )
      ).code,
    ).toBe(232001);
  });

  it('answers concurrent adds to one chat with 232019', async () => {
    const chat = await newChat({ user_id_list: [] });
    const results = await Promise.allSettled([
      add(chat.chat_id!, [zhang().open_id]),
      add(chat.chat_id!, [li().open_id]),
    ]);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected).toHaveLength(1);
    expect((await rejection(Promise.reject(rejected[0]!.reason))).code).toBe(232019);
  });
});

describe('messages', () => {
  it('sends to a chat and to users by open_id, union_id, user_id and email', async () => {
    const chat = await newChat();
    const inChat = await sendToChat(chat.chat_id!, 'text', text('hello'));
    expect(inChat).toMatchObject({
      chat_id: chat.chat_id,
      msg_type: 'text',
      sender: { id: h.emu.state.app.appId, sender_type: 'app', id_type: 'app_id' },
    });
    expect(inChat.message_id).toMatch(/^om_/);
    const chatIds = new Set<string>();
    for (const [type, id] of [
      ['open_id', li().open_id],
      ['union_id', li().union_id],
      ['user_id', li().user_id],
      ['email', li().email],
    ] as const) {
      const res = await h.client.im.v1.message.create({
        params: { receive_id_type: type },
        data: { receive_id: id, msg_type: 'text', content: text(type) },
      });
      chatIds.add(res.data!.chat_id!);
    }
    expect(chatIds.size).toBe(1); // one p2p chat with the user
    expect(h.emu.state.chats.get([...chatIds][0]!)!.chatMode).toBe('p2p');
  });

  it('turns <at> tags into mentions', async () => {
    const chat = await newChat();
    const m = await sendToChat(chat.chat_id!, 'text', text(`hi <at user_id="${zhang().open_id}">Zhang</at>`));
    expect(JSON.parse(m.body!.content)).toEqual({ text: 'hi @_user_1' });
    expect(m.mentions).toEqual([expect.objectContaining({ key: '@_user_1', id: zhang().open_id, name: zhang().name })]);
  });

  it('returns the first message again for a repeated uuid within an hour', async () => {
    const chat = await newChat();
    const a = await sendToChat(chat.chat_id!, 'text', text('once'), 'msg-uuid');
    const b = await sendToChat(chat.chat_id!, 'text', text('once'), 'msg-uuid');
    expect(b.message_id).toBe(a.message_id);
    await control(h.emu, 'time', { advanceSeconds: 3601 });
    h.client = sdkClient(h.emu);
    expect((await sendToChat(chat.chat_id!, 'text', text('once'), 'msg-uuid')).message_id).not.toBe(a.message_id);
  });

  it('rejects bad receivers with their documented codes', async () => {
    const send = (type: 'open_id' | 'chat_id', id: string) =>
      rejection(
        h.client.im.v1.message.create({
          params: { receive_id_type: type },
          data: { receive_id: id, msg_type: 'text', content: text('x') },
        }),
      );
    const find = (pred: (u: typeof users extends () => readonly (infer U)[] ? U : never) => boolean) =>
      users().find(pred)!;
    expect(await send('open_id', find((u) => u.resigned).open_id)).toMatchObject({ status: 400, code: 230029 });
    expect((await send('open_id', find((u) => u.invisible).open_id)).code).toBe(230013);
    expect((await send('open_id', find((u) => u.tenant_key !== h.emu.state.app.tenantKey).open_id)).code).toBe(230038);
    expect((await send('open_id', 'ou_nobody')).code).toBe(230034);
    expect((await send('chat_id', 'oc_nowhere')).code).toBe(230034);
    const missingType = await rejection(
      h.client.im.v1.message.create({
        params: {} as never,
        data: { receive_id: 'x', msg_type: 'text', content: text('x') },
      }),
    );
    expect(missingType.code).toBe(230001);
  });

  it('validates content per msg_type and cards per schema', async () => {
    // Many sends to one chat: lift the 5-per-second chat limit for this test.
    await control(h.emu, 'limits', { route: 'POST /open-apis/im/v1/messages', perKeyPerSecond: 100 });
    const chat = await newChat();
    const send = (msgType: string, content: string) => rejection(sendToChat(chat.chat_id!, msgType, content));
    expect((await send('text', JSON.stringify({ txt: 'x' }))).code).toBe(230001);
    expect((await send('text', 'not json')).code).toBe(230001);
    expect((await send('text', text('x'.repeat(150 * 1024)))).code).toBe(230025);
    expect((await send('interactive', card2('x'.repeat(31 * 1024)))).code).toBe(230025);
    const broken = await send('interactive', '{"schema":"2.0",');
    expect(broken.code).toBe(230099);
    expect(broken.msg).toContain('200621');
    const withAction = await send(
      'interactive',
      JSON.stringify({ schema: '2.0', body: { elements: [{ tag: 'action', actions: [] }] } }),
    );
    expect(withAction.msg).toContain('200861');
    const tooMany = await send(
      'interactive',
      JSON.stringify({ schema: '2.0', body: { elements: Array.from({ length: 201 }, () => ({ tag: 'hr' })) } }),
    );
    expect(tooMany.msg).toContain('11310');
    const dupIds = await send(
      'interactive',
      JSON.stringify({
        schema: '2.0',
        body: {
          elements: [
            { tag: 'hr', element_id: 'a' },
            { tag: 'hr', element_id: 'a' },
          ],
        },
      }),
    );
    expect(dupIds.code).toBe(230099);
    expect((await send('interactive', JSON.stringify({ schema: '2.0' }))).code).toBe(230099);
    // 1.0 cards and blank cards are fine
    const v1 = await sendToChat(
      chat.chat_id!,
      'interactive',
      JSON.stringify({ elements: [{ tag: 'div', text: { tag: 'plain_text', content: 'v1' } }] }),
    );
    expect(v1.msg_type).toBe('interactive');
  });

  it('replies with root and parent ids, in a thread when asked', async () => {
    const chat = await newChat();
    const root = await sendToChat(chat.chat_id!, 'text', text('root'));
    const reply = await h.client.im.v1.message.reply({
      path: { message_id: root.message_id! },
      data: { msg_type: 'text', content: text('re') },
    });
    expect(reply.data).toMatchObject({ root_id: root.message_id, parent_id: root.message_id, chat_id: chat.chat_id });
    const threaded = await h.client.im.v1.message.reply({
      path: { message_id: reply.data!.message_id! },
      data: { msg_type: 'text', content: text('t'), reply_in_thread: true },
    });
    expect(threaded.data).toMatchObject({ root_id: root.message_id, parent_id: reply.data!.message_id });
    expect(threaded.data!.thread_id).toMatch(/^omt_/);
    expect(
      (
        await rejection(
          h.client.im.v1.message.reply({
            path: { message_id: 'om_none' },
            data: { msg_type: 'text', content: text('x') },
          }),
        )
      ).code,
    ).toBe(230001);
  });

  it('limits one chat to 5 messages a second (230020) while other chats are unaffected', async () => {
    await control(h.emu, 'time', { scale: 0.001 }); // freeze the window for the burst
    const chat = await newChat();
    const other = await newChat();
    for (let i = 0; i < 5; i++) await sendToChat(chat.chat_id!, 'text', text(`m${i}`));
    const sixth = await rejection(sendToChat(chat.chat_id!, 'text', text('m6')));
    expect(sixth).toMatchObject({ status: 400, code: 230020 });
    expect(sixth.headers['x-ogw-ratelimit-limit']).toBe('5');
    expect(Number(sixth.headers['x-ogw-ratelimit-reset'])).toBeGreaterThanOrEqual(1);
    expect((await sendToChat(other.chat_id!, 'text', text('fine'))).message_id).toMatch(/^om_/);
    await control(h.emu, 'time', { advanceSeconds: 1 });
    for (let i = 0; i < 5; i++) await sendToChat(chat.chat_id!, 'text', text(`n${i}`));
  });
});

describe('card updates', () => {
  it('patches a shared card and refuses cards without update_multi, other senders and old messages', async () => {
    const chat = await newChat();
    const sent = await sendToChat(chat.chat_id!, 'interactive', card2('v1'));
    await h.client.im.v1.message.patch({ path: { message_id: sent.message_id! }, data: { content: card2('v2') } });
    const stored = h.emu.state.messages.get(sent.message_id!)!;
    expect(stored.card).toMatchObject({ body: { elements: [{ content: 'v2' }] } });
    expect(stored.updated).toBe(true);

    const v1NotShared = JSON.stringify({ elements: [{ tag: 'hr' }] });
    expect(
      (
        await rejection(
          h.client.im.v1.message.patch({ path: { message_id: sent.message_id! }, data: { content: v1NotShared } }),
        )
      ).code,
    ).toBe(230001);
    const perUser = await sendToChat(chat.chat_id!, 'interactive', v1NotShared);
    expect(
      (
        await rejection(
          h.client.im.v1.message.patch({ path: { message_id: perUser.message_id! }, data: { content: card2('x') } }),
        )
      ).code,
    ).toBe(230001);

    const userMsg = h.emu.state.recordUserMessage({
      chatId: chat.chat_id!,
      openId: zhang().open_id,
      msgType: 'interactive',
      content: card2('u'),
    });
    expect(
      (await rejection(h.client.im.v1.message.patch({ path: { message_id: userMsg }, data: { content: card2('x') } })))
        .code,
    ).toBe(230001);

    await control(h.emu, 'time', { advanceSeconds: 14 * 86400 + 1 });
    const late = await rejection(
      sdkClient(h.emu).im.v1.message.patch({ path: { message_id: sent.message_id! }, data: { content: card2('v3') } }),
    );
    expect(late.code).toBe(230001);
  });

  it('limits patches of one message to 5 a second (230020)', async () => {
    await control(h.emu, 'time', { scale: 0.001 });
    const chat = await newChat();
    const sent = await sendToChat(chat.chat_id!, 'interactive', card2('v'));
    for (let i = 0; i < 5; i++)
      await h.client.im.v1.message.patch({ path: { message_id: sent.message_id! }, data: { content: card2(`v${i}`) } });
    expect(
      (
        await rejection(
          h.client.im.v1.message.patch({ path: { message_id: sent.message_id! }, data: { content: card2('v6') } }),
        )
      ).code,
    ).toBe(230020);
  });

  it('updates a card with a callback token twice within 30 minutes, then refuses', async () => {
    const chat = await newChat();
    const sent = await sendToChat(chat.chat_id!, 'interactive', card2('v1'));
    const token = h.emu.state.issueCardToken(sent.message_id!);
    expect(token).toMatch(/^c-/);
    const update = (card: unknown, t = token) =>
      h.client.request({ method: 'POST', url: '/open-apis/interactive/v1/card/update', data: { token: t, card } });
    expect(await update(JSON.parse(card2('v2')))).toEqual({ code: 0, msg: 'ok' });
    expect(h.emu.state.messages.get(sent.message_id!)!.card).toMatchObject({ body: { elements: [{ content: 'v2' }] } });
    await update(JSON.parse(card2('v3')));
    expect(await rejection(update(JSON.parse(card2('v4'))))).toMatchObject({ status: 400, code: 300040 });

    const expiring = h.emu.state.issueCardToken(sent.message_id!);
    await control(h.emu, 'time', { advanceSeconds: 30 * 60 + 1 });
    expect(
      (
        await rejection(
          sdkClient(h.emu).request({
            method: 'POST',
            url: '/open-apis/interactive/v1/card/update',
            data: { token: expiring, card: JSON.parse(card2('x')) },
          }),
        )
      ).code,
    ).toBe(300030);
  });

  it('rejects malformed tokens, per-user cards without open_ids, oversized cards and cards of other senders', async () => {
    const chat = await newChat();
    const update = (token: string, card: unknown, extra: Record<string, unknown> = {}) =>
      rejection(
        h.client.request({
          method: 'POST',
          url: '/open-apis/interactive/v1/card/update',
          data: { token, card, ...extra },
        }),
      );
    expect((await update('nope', {})).code).toBe(300020);
    const perUser = await sendToChat(chat.chat_id!, 'interactive', JSON.stringify({ elements: [] }));
    expect((await update(h.emu.state.issueCardToken(perUser.message_id!), { elements: [{ tag: 'hr' }] })).code).toBe(
      300090,
    );
    const big = { schema: '2.0', body: { elements: [{ tag: 'markdown', content: 'x'.repeat(101 * 1024) }] } };
    const shared = await sendToChat(chat.chat_id!, 'interactive', card2('s'));
    expect((await update(h.emu.state.issueCardToken(shared.message_id!), big)).code).toBe(100000);
    const fromUser = h.emu.state.recordUserMessage({
      chatId: chat.chat_id!,
      openId: zhang().open_id,
      content: text('hi'),
    });
    expect((await update(h.emu.state.issueCardToken(fromUser), JSON.parse(card2('x')))).code).toBe(200310);
  });

  it("refuses a 31 KB card with Feishu's code on send, reply, patch and delayed update, and keeps the card it had", async () => {
    const chat = await newChat();
    const big = card2('x'.repeat(31 * 1024));
    const fits = card2('y'.repeat(29 * 1024));
    const sent = await sendToChat(chat.chat_id!, 'interactive', fits);
    const tooLong = { status: 400, code: 230025 };
    expect(await rejection(sendToChat(chat.chat_id!, 'interactive', big))).toMatchObject(tooLong);
    expect(
      await rejection(
        h.client.im.v1.message.reply({
          path: { message_id: sent.message_id! },
          data: { msg_type: 'interactive', content: big },
        }),
      ),
    ).toMatchObject(tooLong);
    expect(
      await rejection(h.client.im.v1.message.patch({ path: { message_id: sent.message_id! }, data: { content: big } })),
    ).toMatchObject(tooLong);
    // interactive/v1/card/update documents one size error of its own.
    const update = (card: string) =>
      h.client.request({
        method: 'POST',
        url: '/open-apis/interactive/v1/card/update',
        data: { token: h.emu.state.issueCardToken(sent.message_id!), card: JSON.parse(card) },
      });
    const refused = await rejection(update(big));
    expect(refused).toMatchObject({ status: 400, code: 100000 });
    expect(refused.msg).toContain('exceeds the size limit');
    expect(h.emu.state.messages.get(sent.message_id!)!.content).toBe(fits);
    expect(await update(card2('z'))).toEqual({ code: 0, msg: 'ok' });
  });

  it('lets a user patch a card the user sent, with a user token', async () => {
    const chat = await newChat();
    const { access_token } = await loginUser(h.emu, zhang().open_id);
    const mine = h.emu.state.recordUserMessage({
      chatId: chat.chat_id!,
      openId: zhang().open_id,
      msgType: 'interactive',
      content: card2('u1'),
    });
    h.emu.state.messages.get(mine)!.updateMulti = true;
    await h.client.im.v1.message.patch(
      { path: { message_id: mine }, data: { content: card2('u2') } },
      lark.withUserAccessToken(access_token),
    );
    expect(h.emu.state.messages.get(mine)!.content).toBe(card2('u2'));
  });
});
