/**
 * Group chats: create (Feishu "创建群", open.feishu.cn/document/server-docs/group/chat/create, every documented
 * rule) and add members ("将用户或机器人拉入群聊", open.feishu.cn/document/server-docs/group/chat-member/create).
 */
import { z } from 'zod';
import { CHAT_LIMITS as LIMITS, chatFor, inChat } from './chat-access.js';
import type { Kit } from './kit.js';
import { paginate, RuleError } from './mail-rules.js';
import { BLOCKED_WORDS, OTHER_BOTS } from './seed.js';
import { randomId, type Chat, type EmulatorState, type SeedUser, type UserIdType } from './state.js';

const PAGE = 'im-chat-create' as const;
const CHAT_UUID_TTL_MS = 10 * 3600_000;
/** ≤ 15 bots per chat ("创建群", bot_id_list). */
const MAX_BOTS_PER_CHAT = 15;
/** Adding and removing members of one chat exclude each other (232019 "触发群限流"). */
export const MEMBER_CHANGES = 'chat-members';

const visibility = z.enum(['only_owner', 'all_members', 'not_anyone']);
const ownerOrAll = z.enum(['only_owner', 'all_members']);
const permission = z.enum(['all_members', 'not_anyone']);

const createQuery = z.object({
  user_id_type: z.enum(['open_id', 'union_id', 'user_id']).default('open_id'),
  set_bot_manager: z.enum(['true', 'false']).optional(),
  uuid: z.string().max(50, 'uuid is at most 50 characters').optional(),
});

const createBody = z.object({
  avatar: z.string().optional(),
  name: z.string().optional(),
  description: z.string().optional(),
  i18n_names: z
    .object({ zh_cn: z.string().optional(), en_us: z.string().optional(), ja_jp: z.string().optional() })
    .optional(),
  owner_id: z.string().optional(),
  user_id_list: z.array(z.string()).max(50, 'at most 50 users per call').optional(),
  bot_id_list: z.array(z.string()).max(5, 'at most 5 bots per call').optional(),
  group_message_type: z.enum(['chat', 'thread']).default('chat'),
  chat_mode: z.literal('group').default('group'),
  chat_type: z.enum(['private', 'public']).default('private'),
  join_message_visibility: visibility.default('all_members'),
  leave_message_visibility: visibility.default('all_members'),
  membership_approval: z.enum(['no_approval_required', 'approval_required']).default('no_approval_required'),
  restricted_mode_setting: z
    .object({
      status: z.boolean().default(false),
      screenshot_has_permission_setting: permission.default('all_members'),
      download_has_permission_setting: permission.default('all_members'),
      message_has_permission_setting: permission.default('all_members'),
    })
    .optional(),
  urgent_setting: ownerOrAll.default('all_members'),
  video_conference_setting: ownerOrAll.default('all_members'),
  edit_permission: ownerOrAll.default('all_members'),
  hide_member_count_setting: ownerOrAll.default('all_members'),
});

const membersQuery = z.object({
  member_id_type: z.enum(['open_id', 'union_id', 'user_id', 'app_id']).default('open_id'),
  succeed_type: z.enum(['0', '1', '2']).default('0'),
});
const infoQuery = z.object({ user_id_type: z.enum(['open_id', 'union_id', 'user_id']).default('open_id') });
const listMembersQuery = z.object({
  member_id_type: z.enum(['open_id', 'union_id', 'user_id']).default('open_id'),
  page_size: z.coerce.number().int().min(1).max(100, 'page_size is at most 100').default(20),
  page_token: z.string().optional(),
});
const membersBody = z.object({ id_list: z.array(z.string()).min(1, 'id_list must not be empty') });
const listQuery = z.object({
  user_id_type: z.enum(['open_id', 'union_id', 'user_id']).default('open_id'),
  sort_type: z.enum(['ByCreateTimeAsc', 'ByActiveTimeDesc']).default('ByCreateTimeAsc'),
  page_size: z.coerce.number().int().min(1).max(100, 'page_size is at most 100').default(20),
  page_token: z.string().optional(),
});

export function chatRoutes(kit: Kit) {
  const r = kit.routes();
  const { state } = kit;

  r.add({
    method: 'post',
    path: '/open-apis/im/v1/chats',
    token: 'tenant',
    limits: LIMITS,
    query: createQuery,
    body: createBody,
    invalidCode: 232001,
    page: PAGE,
    // A second create with the same uuid while the first is in flight (doc: 232068 "being created").
    serial: { key: ({ query, body }) => dedupeKey(query, body), code: 232068, page: PAGE },
    handler: ({ query, body }) => {
      const key = dedupeKey(query, body);
      const seen = key ? state.chatUuids.get(key) : undefined;
      const existing = seen && seen.at > state.now() - CHAT_UUID_TTL_MS ? state.chats.get(seen.chatId) : undefined;
      if (existing) return chatView(state, existing, query.user_id_type);

      const err = (code: number, detail: string) => kit.error(code, { page: PAGE, detail });
      const rm = body.restricted_mode_setting;
      if (rm?.status)
        throw err(
          232057,
          'the emulated tenant has no restricted-mode licence: set restricted_mode_setting.status false',
        );
      if (rm && Object.values(rm).includes('not_anyone')) {
        throw err(232001, 'with restricted_mode_setting.status false no *_has_permission_setting may be not_anyone');
      }
      const text = `${body.name ?? ''} ${body.description ?? ''}`;
      const blocked = BLOCKED_WORDS.find((w) => text.includes(w));
      if (blocked) throw err(232023, `name or description contains the blocked word "${blocked}"`);
      if (body.chat_type === 'public') {
        if (!body.name?.trim()) throw err(232042, 'a public chat needs a name');
        if ([...body.name.trim()].length < 2) throw err(232020, 'a public chat name needs at least 2 characters');
      }

      const idType = query.user_id_type;
      let owner: SeedUser | undefined;
      if (body.owner_id !== undefined) {
        owner = state.userById(idType, body.owner_id);
        if (!owner) throw err(232030, `owner_id ${body.owner_id} is no ${idType} in the tenant`);
        if (owner.tenant_key !== state.app.tenantKey) throw err(232032, 'the owner belongs to another tenant');
        if (owner.resigned) throw err(232022, `owner ${body.owner_id} has resigned`);
      }
      const users = resolveUsers(state, idType, body.user_id_list ?? [], (code, detail) => err(code, detail));
      const external = users.some((u) => u.tenant_key !== state.app.tenantKey);
      if (external && body.chat_type === 'public') throw err(232069, 'external users cannot join a public chat');
      if (external)
        throw err(232033, 'user_id_list names users of another tenant and the app cannot create external chats');
      const bots = resolveBots(state, body.bot_id_list ?? [], (code, detail) => err(code, detail));
      if (body.hide_member_count_setting === 'only_owner') {
        if (body.chat_type === 'public') throw err(232079, 'public chats cannot hide the member count');
        throw err(232078, 'the emulated tenant has no licence for hide_member_count_setting: use all_members');
      }

      const { owner_id: _o, user_id_list: _u, bot_id_list: _b, name, description, chat_type, ...settings } = body;
      const chat: Chat = {
        chatId: randomId('oc_'),
        chatMode: 'group',
        chatType: chat_type,
        name: name?.trim() ? name : chat_type === 'private' ? '(无主题)' : (name ?? ''),
        description: description ?? '',
        ownerId: owner?.open_id ?? state.app.appId,
        ownerIdType: owner ? 'open_id' : 'app_id',
        members: new Set([...(owner ? [owner.open_id] : []), ...users.map((u) => u.open_id)]),
        managers: new Set(),
        bots: new Set([state.app.appId, ...bots]),
        removedMembers: [],
        createdBy: state.app.appId,
        createdAt: state.now(),
        settings: { ...settings, set_bot_manager: query.set_bot_manager === 'true' },
      };
      state.chats.set(chat.chatId, chat);
      if (key) state.chatUuids.set(key, { chatId: chat.chatId, at: state.now() });
      return chatView(state, chat, idType);
    },
  });

  r.add({
    method: 'post',
    path: '/open-apis/im/v1/chats/:chat_id/members',
    token: 'tenant_or_user',
    limits: LIMITS,
    query: membersQuery,
    body: membersBody,
    invalidCode: 232001,
    serial: { key: ({ params }) => params.chat_id, code: 232019, scope: MEMBER_CHANGES },
    handler: ({ params, query, body, caller }) => {
      const chat = chatFor(kit, params.chat_id, caller);
      if (chat.chatMode !== 'group') throw kit.error(232006, { detail: `${params.chat_id} is not a group chat` });
      const ids = body.id_list;
      const result = {
        invalid_id_list: [] as string[],
        not_existed_id_list: [] as string[],
        pending_approval_id_list: [] as string[],
      };
      const toAdd: string[] = [];
      if (query.member_id_type === 'app_id') {
        if (ids.length > 5) throw kit.error(232001, { detail: 'at most 5 bots per call' });
        const known = new Set<string>([state.app.appId, ...OTHER_BOTS.map((b) => b.app_id)]);
        for (const id of ids) (known.has(id) ? toAdd : result.not_existed_id_list).push(id);
        if (new Set([...chat.bots, ...toAdd]).size > MAX_BOTS_PER_CHAT)
          throw kit.error(232001, { detail: `a chat holds at most ${MAX_BOTS_PER_CHAT} bots` });
      } else {
        if (ids.length > 50) throw kit.error(232001, { detail: 'at most 50 users per call' });
        for (const id of ids) {
          const u = state.userById(query.member_id_type, id);
          if (!u || u.invisible || u.tenant_key !== state.app.tenantKey) result.not_existed_id_list.push(id);
          else if (u.resigned) result.invalid_id_list.push(id);
          else toAdd.push(u.open_id);
        }
      }
      // succeed_type 0: unknown ids fail the call, resigned ones are skipped; 1: add what can be added; 2: all or nothing.
      const unavailable = [
        ...result.not_existed_id_list,
        ...(query.succeed_type === '2' ? result.invalid_id_list : []),
      ];
      if (query.succeed_type !== '1' && unavailable.length)
        throw kit.error(232043, { detail: `unavailable ids: ${unavailable.join(', ')}` });
      if (toAdd.length === 0) throw kit.error(232027, { detail: 'none of id_list can be added' });
      const approval =
        chat.settings.membership_approval === 'approval_required' &&
        chat.ownerId !== state.app.appId &&
        caller.kind === 'app';
      for (const id of toAdd) {
        if (approval) result.pending_approval_id_list.push(id);
        else if (query.member_id_type === 'app_id') chat.bots.add(id);
        else chat.members.add(id);
      }
      return result;
    },
  });

  // The chats the caller (the bot, or the user of a user token) is in ("获取用户或机器人所在的群列表"), in creation
  // order; the items are the page's summary fields, the owner among them.
  r.add({
    method: 'get',
    path: '/open-apis/im/v1/chats',
    token: 'tenant_or_user',
    limits: LIMITS,
    query: listQuery,
    invalidCode: 232001,
    handler: ({ query, caller }) => {
      const mine = [...state.chats.values()].filter(
        (c) => c.chatMode === 'group' && c.dissolvedAt === undefined && inChat(state, c, caller),
      );
      let listed;
      try {
        listed = paginate(mine, query.page_size, query.page_token);
      } catch (e) {
        if (e instanceof RuleError) throw kit.error(232001, { detail: e.message });
        throw e;
      }
      return {
        items: listed.page.map((c) => {
          const v = chatView(state, c, query.user_id_type);
          return {
            chat_id: c.chatId,
            avatar: v.avatar,
            name: c.name,
            description: c.description,
            ...(c.ownerIdType === 'app_id' ? { owner_id: c.ownerId, owner_id_type: 'app_id' } : {}),
            ...(v.owner_id !== undefined ? { owner_id: v.owner_id, owner_id_type: v.owner_id_type } : {}),
            external: false,
            tenant_key: state.app.tenantKey,
            chat_status: 'normal',
          };
        }),
        page_token: listed.page_token,
        has_more: listed.has_more,
      };
    },
  });

  // Get chat info (im/v1/chats/:chat_id): owner and managers, which is what "may this user manage it" needs.
  r.add({
    method: 'get',
    path: '/open-apis/im/v1/chats/:chat_id',
    token: 'tenant_or_user',
    limits: LIMITS,
    query: infoQuery,
    invalidCode: 232001,
    handler: ({ params, query, caller }) => {
      const chat = chatFor(kit, params.chat_id, caller);
      const idOf = (openId: string) => state.userByOpenId(openId)?.[query.user_id_type] ?? openId;
      const { chat_id: _id, owner_id: _o, owner_id_type: _t, ...view } = chatView(state, chat, query.user_id_type);
      return {
        ...view,
        owner_id_type: chat.ownerIdType === 'app_id' ? 'app_id' : query.user_id_type,
        owner_id: chat.ownerIdType === 'app_id' ? chat.ownerId : idOf(chat.ownerId),
        user_manager_id_list: [...chat.managers].map(idOf),
        bot_manager_id_list: [],
        user_count: String(chat.members.size),
        bot_count: String(chat.bots.size),
        chat_status: 'normal',
      };
    },
  });

  // List chat members (im/v1/chats/:chat_id/members): users only, paged, ≤ 100 per page.
  r.add({
    method: 'get',
    path: '/open-apis/im/v1/chats/:chat_id/members',
    token: 'tenant_or_user',
    limits: LIMITS,
    query: listMembersQuery,
    invalidCode: 232001,
    handler: ({ params, query, caller }) => {
      const chat = chatFor(kit, params.chat_id, caller);
      const users = [...chat.members].flatMap((id) => state.userByOpenId(id) ?? []);
      let listed;
      try {
        listed = paginate(users, query.page_size, query.page_token);
      } catch (e) {
        if (e instanceof RuleError) throw kit.error(232001, { detail: e.message });
        throw e;
      }
      return {
        items: listed.page.map((u) => ({
          member_id_type: query.member_id_type,
          member_id: u[query.member_id_type],
          name: u.name,
          tenant_key: u.tenant_key,
        })),
        page_token: listed.page_token,
        has_more: listed.has_more,
        member_total: users.length,
      };
    },
  });

  return r.router;
}

function dedupeKey(query: { uuid?: string }, body: { owner_id?: string }): string | undefined {
  return query.uuid ? `${query.uuid}|${body.owner_id ?? ''}` : undefined;
}

type Fail = (code: number, detail: string) => Error;

function resolveUsers(state: EmulatorState, idType: UserIdType, ids: string[], fail: Fail): SeedUser[] {
  return ids.map((id) => {
    const u = state.userById(idType, id);
    if (!u || u.invisible) throw fail(232043, `user_id_list: ${id} is no available ${idType}`);
    if (u.resigned) throw fail(232022, `user_id_list: ${id} has resigned`);
    return u;
  });
}

function resolveBots(state: EmulatorState, ids: string[], fail: Fail): string[] {
  const known = new Set<string>(OTHER_BOTS.map((b) => b.app_id));
  return ids
    .filter((id) => id !== state.app.appId) // the creating bot joins anyway
    .map((id) => {
      if (!/^cli_[0-9a-f]{16}$/.test(id)) throw fail(232043, `bot_id_list: ${id} is not an app_id (cli_…)`);
      if (!known.has(id)) throw fail(232021, `bot_id_list: no bot ${id} in the tenant`);
      return id;
    });
}

/** The create response's data ("创建群" "响应体"): owner fields only when a user owns the chat. */
export function chatView(state: EmulatorState, chat: Chat, idType: UserIdType): Record<string, unknown> {
  const s = chat.settings;
  const owner = chat.ownerIdType === 'open_id' ? state.userByOpenId(chat.ownerId) : undefined;
  const avatar = typeof s.avatar === 'string' ? s.avatar : 'default-avatar_44ae0ca3-e140-494b-956f-78091e348435';
  return {
    chat_id: chat.chatId,
    avatar: `https://p3-lark-file.byteimg.com/img/lark-avatar-staging/${avatar}~100x100.jpg`,
    name: chat.name,
    description: chat.description,
    i18n_names: s.i18n_names ?? { zh_cn: chat.name, en_us: chat.name },
    ...(owner ? { owner_id: owner[idType], owner_id_type: idType } : {}),
    urgent_setting: s.urgent_setting,
    video_conference_setting: s.video_conference_setting,
    add_member_permission: 'all_members',
    share_card_permission: 'allowed',
    at_all_permission: 'all_members',
    edit_permission: s.edit_permission,
    group_message_type: s.group_message_type,
    chat_mode: chat.chatMode,
    chat_type: chat.chatType,
    chat_tag: 'inner',
    external: false,
    tenant_key: state.app.tenantKey,
    join_message_visibility: s.join_message_visibility,
    leave_message_visibility: s.leave_message_visibility,
    membership_approval: s.membership_approval,
    moderation_permission: 'all_members',
    restricted_mode_setting: s.restricted_mode_setting ?? {
      status: false,
      screenshot_has_permission_setting: 'all_members',
      download_has_permission_setting: 'all_members',
      message_has_permission_setting: 'all_members',
    },
    hide_member_count_setting: s.hide_member_count_setting,
  };
}
