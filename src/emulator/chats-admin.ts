/**
 * The inverses of chat create and add members: dissolve a chat (Feishu "解散群",
 * open.feishu.cn/document/server-docs/group/chat/delete), remove members ("将用户或机器人移出群聊",
 * …/group/chat-member/delete) and update a chat, which is how its owner is handed over ("更新群信息",
 * …/group/chat/update, `owner_id`). Who may act is in chat-access.ts.
 */
import { z } from 'zod';
import { CHAT_LIMITS, chatFor, managesChat, ownsChat } from './chat-access.js';
import { MEMBER_CHANGES } from './chats.js';
import type { Kit } from './kit.js';
import type { Chat } from './state.js';

const CHAT = '/open-apis/im/v1/chats/:chat_id';
/** What a member who is neither owner nor manager may change when edit_permission is all_members ("更新群信息"). */
const BASIC_FIELDS = ['avatar', 'name', 'description', 'i18n_names'];

const removeQuery = z.object({
  member_id_type: z.enum(['open_id', 'union_id', 'user_id', 'app_id']).default('open_id'),
});
const removeBody = z.object({
  id_list: z.array(z.string()).min(1, 'id_list must not be empty').max(50, 'at most 50 ids per call'),
});
const updateQuery = z.object({ user_id_type: z.enum(['open_id', 'union_id', 'user_id']).default('open_id') });
/** Every field of the page may be sent; those the emulator acts on are typed, the rest are kept as settings. */
const updateBody = z.looseObject({
  name: z.string().optional(),
  description: z.string().optional(),
  owner_id: z.string().min(1, 'owner_id must not be empty').optional(),
  edit_permission: z.enum(['only_owner', 'all_members']).optional(),
});

export function chatAdminRoutes(kit: Kit) {
  const r = kit.routes();
  const { state } = kit;

  const groupChat = (chatId: string | undefined, caller: Parameters<typeof chatFor>[2]): Chat => {
    const chat = chatFor(kit, chatId, caller);
    if (chat.chatMode !== 'group') throw kit.error(232008, { detail: `${chatId} is a p2p chat` });
    return chat;
  };

  r.add({
    method: 'delete',
    path: CHAT,
    token: 'tenant_or_user',
    limits: CHAT_LIMITS,
    handler: ({ params, caller }) => {
      const chat = groupChat(params.chat_id, caller);
      if (!ownsChat(state, chat, caller)) {
        throw kit.error(232017, { detail: 'only the owner, or the bot that created the chat, may dissolve it' });
      }
      chat.dissolvedAt = state.now();
      return {};
    },
  });

  r.add({
    method: 'delete',
    path: `${CHAT}/members`,
    token: 'tenant_or_user',
    limits: CHAT_LIMITS,
    query: removeQuery,
    body: removeBody,
    invalidCode: 232001,
    serial: { key: ({ params }) => params.chat_id, code: 232019, scope: MEMBER_CHANGES },
    handler: ({ params, query, body, caller }) => {
      const chat = chatFor(kit, params.chat_id, caller);
      if (chat.chatMode !== 'group') throw kit.error(232006, { detail: `${params.chat_id} is not a group chat` });
      if (!managesChat(state, chat, caller)) {
        throw kit.error(232014, {
          detail: 'only the owner, a manager or the bot that created the chat may remove members',
        });
      }
      const type = query.member_id_type;
      const bots = type === 'app_id';
      if (bots && body.id_list.length > 5) throw kit.error(232001, { detail: 'at most 5 bots per call' });
      // Ids that name no one, or no one in the chat, come back in invalid_id_list, so removing twice is harmless;
      // a list naming no one at all is refused (232027).
      const invalid: string[] = [];
      const found: string[] = [];
      let known = 0;
      for (const id of body.id_list) {
        const member = type === 'app_id' ? id : state.userById(type, id)?.open_id;
        if (member !== undefined && (bots || state.userByOpenId(member)?.tenant_key === state.app.tenantKey)) known++;
        const present = member !== undefined && (bots ? chat.bots.has(member) : chat.members.has(member));
        if (present) found.push(member);
        else invalid.push(id);
      }
      if (found.includes(chat.ownerId))
        throw kit.error(232076, { detail: 'hand the chat over before removing its owner' });
      if (known === 0) throw kit.error(232027, { detail: 'no id in id_list names a user of the tenant' });
      for (const id of found) {
        if (bots) chat.bots.delete(id);
        else {
          chat.members.delete(id);
          chat.managers.delete(id);
          chat.removedMembers.push(id);
        }
      }
      return { invalid_id_list: invalid };
    },
  });

  r.add({
    method: 'put',
    path: CHAT,
    token: 'tenant_or_user',
    limits: CHAT_LIMITS,
    query: updateQuery,
    body: updateBody,
    invalidCode: 232001,
    handler: ({ params, query, body, caller }) => {
      const chat = groupChat(params.chat_id, caller);
      const fields = Object.keys(body).filter((k) => body[k] !== undefined);
      if (!managesChat(state, chat, caller)) {
        if (chat.settings.edit_permission === 'only_owner') throw kit.error(232002);
        const others = fields.filter((f) => !BASIC_FIELDS.includes(f));
        if (others.length)
          throw kit.error(232016, { detail: `${others.join(', ')} need the owner, a manager or the creating bot` });
      }
      const { owner_id, name, description, ...settings } = body;
      if (owner_id !== undefined) {
        if (!ownsChat(state, chat, caller)) {
          throw kit.error(232002, { detail: 'only the owner, or the bot that created the chat, may hand it over' });
        }
        const owner = state.userById(query.user_id_type, owner_id);
        if (!owner)
          throw kit.error(232030, { detail: `owner_id ${owner_id} is no ${query.user_id_type} in the tenant` });
        if (owner.tenant_key !== state.app.tenantKey) throw kit.error(232031);
        if (owner.resigned) throw kit.error(232022, { detail: `${owner_id} has resigned` });
        if (!chat.members.has(owner.open_id)) throw kit.error(232012, { detail: 'add them to the chat first' });
        chat.ownerId = owner.open_id;
        chat.ownerIdType = 'open_id';
        chat.managers.delete(owner.open_id);
      }
      if (name !== undefined) chat.name = name;
      if (description !== undefined) chat.description = description;
      Object.assign(chat.settings, settings);
      return {};
    },
  });

  return r.router;
}
