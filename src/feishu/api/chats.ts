/** Group chats: create, update and dissolve (im/v1/chats), add and remove members (im/v1/chats/:chat_id/members). */
import { z } from 'zod';
import type { FeishuClient } from '../client/client.js';
import { chunks, need, parse, retrySafeId } from '../client/wire.js';
import { isAlreadyGone, isOwnerInRemoval } from '../errors.js';
import { openIdSchema } from './shared.js';

export const createChatSchema = z.object({
  name: z.string().min(1).max(60).optional(),
  description: z.string().max(100).optional(),
  ownerId: openIdSchema.optional(),
  userIds: z
    .array(openIdSchema)
    .max(50, 'at most 50 users per chat create; add the rest with chats.addMembers')
    .default([]),
  botIds: z.array(z.string()).max(5, 'at most 5 bots per chat create').default([]),
  chatType: z.enum(['private', 'public']).default('private'),
  /** 'thread': a topic chat, where every message starts a thread. */
  groupMessageType: z.enum(['chat', 'thread']).optional(),
  /** Idempotency key: Feishu returns the same chat for a repeated uuid. */
  uuid: z.string().max(50).optional(),
});
export type CreateChatInput = z.input<typeof createChatSchema>;

export const chatMemberIdsSchema = z.array(openIdSchema);

export interface ChatMembersResult {
  invalidIds: string[];
  notExistedIds: string[];
  pendingApprovalIds: string[];
}

/** Who runs a chat (im/v1/chats/:chat_id): the owner (a user's open_id, or undefined when a bot owns it) and managers. */
export interface ChatInfo {
  chatId: string;
  name: string;
  chatMode: string;
  chatType: string;
  ownerId: string | undefined;
  managerIds: string[];
}

/** A chat the bot is in, as the chat list gives it: the owner is a user's open_id, or undefined when a bot owns it. */
export interface ChatSummary {
  chatId: string;
  name: string;
  ownerId: string | undefined;
}

export interface ChatMember {
  openId: string;
  name: string;
}

/** Page size of the member and chat lists (their documented maximum). */
const MEMBERS_PAGE = 100;

export class ChatsApi {
  constructor(private readonly c: FeishuClient) {}

  async create(params: CreateChatInput, opts: { uuid?: string } = {}): Promise<{ chatId: string; name: string }> {
    const p = parse(createChatSchema, { ...params, uuid: opts.uuid ?? params.uuid ?? retrySafeId() }, 'chats.create');
    // The uuid makes a repeat return the same chat, so an unanswered or "being created" (232068) create is repeated.
    const res = await this.c.call('chat.create', { idempotent: true }, (o) =>
      this.c.sdk.im.v1.chat.create(
        {
          params: { user_id_type: 'open_id', uuid: p.uuid },
          data: {
            name: p.name,
            description: p.description,
            owner_id: p.ownerId,
            user_id_list: p.userIds,
            bot_id_list: p.botIds,
            chat_type: p.chatType,
            group_message_type: p.groupMessageType,
          },
        },
        o,
      ),
    );
    return { chatId: need(res.data?.chat_id, 'chat.create', 'data.chat_id'), name: res.data?.name ?? p.name ?? '' };
  }

  /** Fails with 232011 when the bot is not in the chat, 232006 when there is no such chat. */
  async get(chatId: string): Promise<ChatInfo> {
    const res = await this.c.call('chat.get', {}, (o) =>
      this.c.sdk.im.v1.chat.get({ path: { chat_id: chatId }, params: { user_id_type: 'open_id' } }, o),
    );
    const d = res.data;
    return {
      chatId,
      name: d?.name ?? '',
      chatMode: d?.chat_mode ?? '',
      chatType: d?.chat_type ?? '',
      ownerId: d?.owner_id_type === 'open_id' ? d.owner_id : undefined,
      managerIds: d?.user_manager_id_list ?? [],
    };
  }

  /** Every group chat the bot is in, page by page (creation order, so no chat is missed between pages). */
  async list(): Promise<ChatSummary[]> {
    const out: ChatSummary[] = [];
    let pageToken: string | undefined;
    do {
      const res = await this.c.call('chat.list', {}, (o) =>
        this.c.sdk.im.v1.chat.list(
          {
            params: {
              user_id_type: 'open_id',
              sort_type: 'ByCreateTimeAsc',
              page_size: MEMBERS_PAGE,
              ...(pageToken ? { page_token: pageToken } : {}),
            },
          },
          o,
        ),
      );
      for (const c of res.data?.items ?? [])
        if (c.chat_id)
          out.push({
            chatId: c.chat_id,
            name: c.name ?? '',
            ownerId: c.owner_id_type === 'open_id' ? c.owner_id : undefined,
          });
      pageToken = res.data?.has_more ? res.data.page_token : undefined;
    } while (pageToken);
    return out;
  }

  /** Every user in the chat (bots are not listed), page by page. */
  async members(chatId: string): Promise<ChatMember[]> {
    const out: ChatMember[] = [];
    let pageToken: string | undefined;
    do {
      const res = await this.c.call('chat.members.list', {}, (o) =>
        this.c.sdk.im.v1.chatMembers.get(
          {
            path: { chat_id: chatId },
            params: {
              member_id_type: 'open_id',
              page_size: MEMBERS_PAGE,
              ...(pageToken ? { page_token: pageToken } : {}),
            },
          },
          o,
        ),
      );
      for (const m of res.data?.items ?? [])
        if (m.member_id) out.push({ openId: m.member_id, name: m.name ?? m.member_id });
      pageToken = res.data?.has_more ? res.data.page_token : undefined;
    } while (pageToken);
    return out;
  }

  /** Adds users in chunks of 50 (the API's cap), one call at a time per chat: concurrent adds fail with 232019. */
  async addMembers(chatId: string, openIds: string[]): Promise<ChatMembersResult> {
    parse(chatMemberIdsSchema, openIds, 'chats.addMembers');
    const out: ChatMembersResult = { invalidIds: [], notExistedIds: [], pendingApprovalIds: [] };
    for (const ids of chunks(openIds, 50)) {
      const res = await this.c.call('chat.members.create', { serial: `chat:${chatId}` }, (o) =>
        this.c.sdk.im.v1.chatMembers.create(
          { path: { chat_id: chatId }, params: { member_id_type: 'open_id' }, data: { id_list: ids } },
          o,
        ),
      );
      out.invalidIds.push(...(res.data?.invalid_id_list ?? []));
      out.notExistedIds.push(...(res.data?.not_existed_id_list ?? []));
      out.pendingApprovalIds.push(...(res.data?.pending_approval_id_list ?? []));
    }
    return out;
  }

  /**
   * Removes users in chunks of 50, one change per chat at a time (232019 otherwise). Ids Feishu lists as invalid are
   * not members (any more): nothing to remove. A batch naming the owner is refused whole (232076): the owner stays,
   * the rest go.
   */
  async removeMembers(chatId: string, openIds: string[]): Promise<{ removed: string[]; notRemoved: string[] }> {
    parse(chatMemberIdsSchema, openIds, 'chats.removeMembers');
    const notRemoved: string[] = [];
    // Removing a member twice changes nothing, so an unanswered removal is simply repeated.
    const remove = (ids: string[]) =>
      this.c.call('chat.members.delete', { serial: `chat:${chatId}`, idempotent: true }, (o) =>
        this.c.sdk.im.v1.chatMembers.delete(
          { path: { chat_id: chatId }, params: { member_id_type: 'open_id' }, data: { id_list: ids } },
          o,
        ),
      );
    for (const ids of chunks(openIds, 50)) {
      try {
        await remove(ids);
      } catch (err) {
        if (!isOwnerInRemoval(err)) throw err;
        const { ownerId } = await this.get(chatId);
        notRemoved.push(...ids.filter((id) => id === ownerId));
        const rest = ids.filter((id) => id !== ownerId);
        if (rest.length) await remove(rest);
      }
    }
    return { removed: openIds.filter((id) => !notRemoved.includes(id)), notRemoved };
  }

  /** Dissolves the chat (the bot must own it); one already dissolved is done. */
  async dissolve(chatId: string): Promise<void> {
    try {
      await this.c.call('chat.delete', { serial: `chat:${chatId}`, idempotent: true }, (o) =>
        this.c.sdk.im.v1.chat.delete({ path: { chat_id: chatId } }, o),
      );
    } catch (err) {
      if (!isAlreadyGone(err)) throw err;
    }
  }

  /** Gives the chat a new owner (chat update with `owner_id`). */
  async transferOwner(chatId: string, ownerOpenId: string): Promise<void> {
    parse(openIdSchema, ownerOpenId, 'chats.transferOwner');
    await this.c.call('chat.update', { serial: `chat:${chatId}`, idempotent: true }, (o) =>
      this.c.sdk.im.v1.chat.update(
        { path: { chat_id: chatId }, params: { user_id_type: 'open_id' }, data: { owner_id: ownerOpenId } },
        o,
      ),
    );
  }
}
