/**
 * Messages: create, reply, read ("获取指定消息的内容"), PATCH a card (Feishu "发送消息", "回复消息", "更新已发送的消息卡片"), recall ("撤回消息")
 * and the delayed card update with a callback token `c-…` ("延时更新消息卡片").
 */
import { z } from 'zod';
import { cardTooLarge, checkCard, checkContent, type ContentProblem } from './cards.js';
import { inChat, managesChat } from './chat-access.js';
import { topLevel, type Kit } from './kit.js';
import type { Chat, EmulatorState, Message } from './state.js';

const MESSAGE_UUID_TTL_MS = 3600_000;
const PATCH_MAX_AGE_MS = 14 * 24 * 3600_000;
/** "撤回消息": one's own messages within the tenant's recall window (24 h by default), others' within a year. */
const RECALL_OWN_MS = 24 * 3600_000;
const RECALL_OTHERS_MS = 365 * 24 * 3600_000;
const LIMITS = { perSecond: 50, perMinute: 1000 };

const receiveIdType = z.enum(['open_id', 'union_id', 'user_id', 'email', 'chat_id'], {
  message: 'receive_id_type must be open_id, union_id, user_id, email or chat_id',
});
const createQuery = z.object({ receive_id_type: receiveIdType });
const createBody = z.object({
  receive_id: z.string().min(1, 'receive_id is required'),
  msg_type: z.string().min(1, 'msg_type is required'),
  content: z.string({ message: 'content must be a JSON string' }),
  uuid: z.string().max(50, 'uuid is at most 50 characters').optional(),
});
const replyBody = createBody.omit({ receive_id: true }).extend({ reply_in_thread: z.boolean().default(false) });
const patchBody = z.object({ content: z.string({ message: 'content must be a card JSON string' }) });
const cardUpdateBody = z.object({
  token: z.string({ message: 'token is required' }),
  card: z.record(z.string(), z.unknown(), { message: 'card must be a card JSON object' }),
  open_ids: z.array(z.string()).optional(),
});

type Target = { ok: true; chat: Chat } | { ok: false; code: number; detail: string };

/** Where a message goes: the chat, or the bot's p2p chat with the user. */
function resolveTarget(state: EmulatorState, type: z.output<typeof receiveIdType>, id: string): Target {
  if (type === 'chat_id') {
    const chat = state.chats.get(id);
    if (!chat) return { ok: false, code: 230034, detail: `no chat ${id}` };
    if (chat.dissolvedAt !== undefined) return { ok: false, code: 232009, detail: `${id} was dissolved` };
    if (!chat.bots.has(state.app.appId)) return { ok: false, code: 230002, detail: `the bot is not a member of ${id}` };
    return { ok: true, chat };
  }
  const user = type === 'email' ? state.userByEmail(id) : state.userById(type, id);
  if (!user) return { ok: false, code: 230034, detail: `no user with ${type} ${id}` };
  if (user.tenant_key !== state.app.tenantKey)
    return { ok: false, code: 230038, detail: `${id} belongs to another tenant` };
  if (user.resigned) return { ok: false, code: 230029, detail: `${id} has resigned` };
  if (user.invisible) return { ok: false, code: 230013, detail: `${id} is outside the app's availability` };
  return { ok: true, chat: state.p2pChat(user.open_id) };
}

function contentError(kit: Kit, p: ContentProblem) {
  if (p.kind === 'invalid') return kit.error(230001, { detail: p.detail });
  if (p.kind === 'too_long') return kit.error(230025, { detail: p.detail });
  return kit.error(230099, { msg: `Failed to create card content, ext=ErrCode: ${p.subCode}; ErrMsg: ${p.detail}` });
}

export function messageView(state: EmulatorState, m: Message): Record<string, unknown> {
  const sender =
    m.sender.type === 'app'
      ? { id: m.sender.id, id_type: 'app_id', sender_type: 'app', tenant_key: state.app.tenantKey }
      : { id: m.sender.id, id_type: 'open_id', sender_type: 'user', tenant_key: state.app.tenantKey };
  const { content, mentions } = withMentions(state, m);
  return {
    message_id: m.messageId,
    ...(m.rootId ? { root_id: m.rootId } : {}),
    ...(m.parentId ? { parent_id: m.parentId, upper_message_id: m.parentId } : {}),
    ...(m.threadId ? { thread_id: m.threadId } : {}),
    msg_type: m.msgType,
    create_time: String(Math.floor(m.createdAt)),
    update_time: String(Math.floor(m.updatedAt)),
    deleted: m.deleted,
    updated: m.updated,
    chat_id: m.chatId,
    sender,
    body: { content },
    ...(mentions.length ? { mentions } : {}),
  };
}

/** Text `<at user_id="ou_x">Tom</at>` becomes `@_user_1` in the body plus a mentions entry (Feishu "发送消息内容结构"). */
function withMentions(state: EmulatorState, m: Message): { content: string; mentions: Record<string, unknown>[] } {
  if (m.msgType !== 'text') return { content: m.content, mentions: [] };
  const parsed = JSON.parse(m.content) as { text: string };
  const mentions: Record<string, unknown>[] = [];
  const text = parsed.text.replace(/<at user_id="([^"]*)">([^<]*)<\/at>/g, (_all, id: string, name: string) => {
    const key = `@_user_${mentions.length + 1}`;
    const user = state.userByOpenId(id);
    mentions.push({ key, id, id_type: 'open_id', name: user?.name ?? name, tenant_key: state.app.tenantKey });
    return key;
  });
  return { content: JSON.stringify({ ...parsed, text }), mentions };
}

export function messageRoutes(kit: Kit) {
  const r = kit.routes();
  const { state } = kit;

  /** Validates content, dedupes by uuid (1 h) and stores the message. */
  function send(
    chat: Chat,
    body: { msg_type: string; content: string; uuid?: string },
    parent?: Message,
    inThread = false,
  ) {
    const dedupeKey = body.uuid ? `${state.app.appId}|${body.uuid}` : undefined;
    const seen = dedupeKey ? state.messageUuids.get(dedupeKey) : undefined;
    const earlier =
      seen && seen.at > state.now() - MESSAGE_UUID_TTL_MS ? state.messages.get(seen.messageId) : undefined;
    if (earlier) return messageView(state, earlier);
    const checked = checkContent(body.msg_type, body.content);
    if (!checked.ok) throw contentError(kit, checked.problem);
    const rootId = parent ? (parent.rootId ?? parent.messageId) : undefined;
    const msg = state.addMessage({
      chatId: chat.chatId,
      sender: { type: 'app', id: state.app.appId },
      msgType: body.msg_type,
      content: body.content,
      ...(checked.card ? { card: checked.card } : {}),
      updateMulti: checked.updateMulti,
      ...(parent ? { parentId: parent.messageId, rootId } : {}),
      ...(parent && (inThread || parent.threadId)
        ? { threadId: parent.threadId ?? `omt_${(rootId ?? '').slice(3)}` }
        : {}),
    });
    if (dedupeKey) state.messageUuids.set(dedupeKey, { messageId: msg.messageId, at: state.now() });
    return messageView(state, msg);
  }

  // 5 QPS per target chat (shared by the bots in it) → 230020.
  const perChat = {
    perSecond: 5,
    key: ({ query, body }: { query: z.output<typeof createQuery>; body: z.output<typeof createBody> }) => {
      const t = resolveTarget(state, query.receive_id_type, body.receive_id);
      return t.ok ? t.chat.chatId : undefined;
    },
  };

  r.add({
    method: 'post',
    path: '/open-apis/im/v1/messages',
    token: 'tenant',
    limits: { ...LIMITS, perKey: perChat, code: 230020 },
    query: createQuery,
    body: createBody,
    invalidCode: 230001,
    handler: ({ query, body }) => {
      const target = resolveTarget(state, query.receive_id_type, body.receive_id);
      if (!target.ok) throw kit.error(target.code, { detail: target.detail });
      return send(target.chat, body);
    },
  });

  const parentOf = (id: string | undefined): Message => {
    const m = id ? state.messages.get(id) : undefined;
    if (!m) throw kit.error(230001, { detail: `no message ${id}` });
    if (m.deleted) throw kit.error(230011);
    return m;
  };

  r.add({
    method: 'post',
    path: '/open-apis/im/v1/messages/:message_id/reply',
    token: 'tenant',
    limits: {
      ...LIMITS,
      code: 230020,
      perKey: { perSecond: 5, key: ({ params }) => state.messages.get(params.message_id ?? '')?.chatId },
    },
    body: replyBody,
    invalidCode: 230001,
    handler: ({ params, body }) => {
      const parent = parentOf(params.message_id);
      const chat = state.chats.get(parent.chatId);
      if (chat?.dissolvedAt !== undefined) throw kit.error(232009, { detail: `${parent.chatId} was dissolved` });
      if (!chat?.bots.has(state.app.appId)) throw kit.error(230002);
      return send(chat, body, parent, body.reply_in_thread);
    },
  });

  r.add({
    method: 'patch',
    path: '/open-apis/im/v1/messages/:message_id',
    token: 'tenant_or_user',
    // 5 QPS per message ("更新已发送的消息卡片").
    limits: { ...LIMITS, code: 230020, perKey: { perSecond: 5, key: ({ params }) => params.message_id } },
    body: patchBody,
    invalidCode: 230001,
    handler: ({ params, body, caller }) => {
      const m = parentOf(params.message_id);
      const me = caller.kind === 'user' ? caller.openId : state.app.appId;
      if (m.sender.id !== me) throw kit.error(230001, { detail: 'only the sender can update a message' });
      if (m.msgType !== 'interactive')
        throw kit.error(230001, { detail: 'only interactive (card) messages can be patched' });
      if (!m.updateMulti) throw kit.error(230001, { detail: 'the sent card must have config.update_multi true' });
      if (m.createdAt < state.now() - PATCH_MAX_AGE_MS)
        throw kit.error(230001, { detail: 'messages older than 14 days cannot be updated' });
      const checked = checkContent('interactive', body.content);
      if (!checked.ok) throw contentError(kit, checked.problem);
      if (!checked.updateMulti)
        throw kit.error(230001, { detail: 'the new card must also have config.update_multi true' });
      updateCard(state, m, body.content, checked.card);
      return {};
    },
  });

  // "获取指定消息的内容": the bot reads messages of chats it is in.
  r.add({
    method: 'get',
    path: '/open-apis/im/v1/messages/:message_id',
    token: 'tenant_or_user',
    limits: LIMITS,
    handler: ({ params, caller }) => {
      const m = state.messages.get(params.message_id ?? '');
      if (!m) throw kit.error(230001, { detail: `no message ${params.message_id}` });
      if (m.deleted) throw kit.error(230110);
      const chat = state.chats.get(m.chatId);
      if (!chat || !inChat(state, chat, caller)) throw kit.error(230002);
      return { items: [messageView(state, m)] };
    },
  });

  // Recall: the message is marked deleted, as Feishu shows it; replies and patches to it then answer 230011.
  r.add({
    method: 'delete',
    path: '/open-apis/im/v1/messages/:message_id',
    token: 'tenant_or_user',
    limits: LIMITS,
    handler: ({ params, caller }) => {
      const m = parentOf(params.message_id);
      const chat = state.chats.get(m.chatId);
      if (!chat || chat.dissolvedAt !== undefined) throw kit.error(232009, { detail: `${m.chatId} was dissolved` });
      if (!inChat(state, chat, caller)) throw kit.error(230002);
      const me = caller.kind === 'user' ? caller.openId : state.app.appId;
      const own = m.sender.id === me;
      if (!own && (chat.chatMode !== 'group' || !managesChat(state, chat, caller))) {
        throw kit.error(230026, { detail: 'only your own messages, or any in a group you own or manage' });
      }
      const window = own ? RECALL_OWN_MS : RECALL_OTHERS_MS;
      if (m.createdAt < state.now() - window)
        throw kit.error(230009, { detail: own ? 'older than 24 hours' : 'older than a year' });
      m.deleted = true;
      m.updatedAt = state.now();
      return {};
    },
  });

  r.add({
    method: 'post',
    path: '/open-apis/interactive/v1/card/update',
    token: 'tenant',
    body: cardUpdateBody,
    handler: ({ body }) => {
      if (!/^c-[0-9a-f]{40}$/.test(body.token))
        throw kit.error(300020, { detail: 'use the token of a card callback (c-…)' });
      const t = state.cardTokens.get(body.token);
      if (!t) throw kit.error(300020, { detail: 'this token was never issued' });
      if (t.expiresAt <= state.now()) throw kit.error(300030);
      if (t.usesLeft <= 0) throw kit.error(300040);
      const m = state.messages.get(t.messageId);
      if (!m || m.sender.id !== state.app.appId) throw kit.error(200310);
      const json = JSON.stringify(body.card);
      // 30 KB like every card; 100000 is the one size error this endpoint documents ("延时更新消息卡片").
      const tooLarge = cardTooLarge(json);
      if (tooLarge) throw kit.error(100000, { detail: tooLarge });
      const checked = checkCard(body.card);
      if (!checked.ok) throw kit.error(99992402, { detail: checked.problem.detail });
      if (!checked.updateMulti && !body.open_ids?.length) throw kit.error(300090);
      t.usesLeft -= 1;
      updateCard(state, m, json, checked.card);
      return topLevel({ code: 0, msg: 'ok' });
    },
  });

  return r.router;
}

function updateCard(
  state: EmulatorState,
  m: Message,
  content: string,
  card: Record<string, unknown> | undefined,
): void {
  m.content = content;
  if (card) m.card = card;
  m.updated = true;
  m.updatedAt = state.now();
}
