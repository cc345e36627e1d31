/**
 * Who may do what to a chat, shared by the chat routes and message recall. The operator is the bot for a tenant
 * token and the user for a user token. Feishu's group pages ("解散群", "将用户或机器人移出群聊", "更新群信息",
 * "撤回消息") let the owner act, or a bot that created the chat when the app holds im:chat:operate_as_owner: the
 * emulated app holds it. Managers (and a bot made manager at creation) may remove members and recall others'
 * messages, not dissolve or hand the chat over.
 */
import type { Caller, Kit } from './kit.js';
import type { Chat, EmulatorState } from './state.js';

/** The chat APIs' quota ("1000 次/分钟、50 次/秒"). */
export const CHAT_LIMITS = { perSecond: 50, perMinute: 1000 };

function isBot(caller: Caller): boolean {
  return caller.kind !== 'user';
}

export function inChat(state: EmulatorState, chat: Chat, caller: Caller): boolean {
  return caller.kind === 'user' ? chat.members.has(caller.openId) : chat.bots.has(state.app.appId);
}

/** The chat the operator acts on: 232006 when unknown, 232009 when dissolved, 232011 when the operator is not in it. */
export function chatFor(kit: Kit, chatId: string | undefined, caller: Caller): Chat {
  const chat = kit.state.chats.get(chatId ?? '');
  if (!chat) throw kit.error(232006, { detail: `no chat ${chatId}` });
  if (chat.dissolvedAt !== undefined) throw kit.error(232009, { detail: `${chatId} was dissolved` });
  if (!inChat(kit.state, chat, caller)) throw kit.error(232011);
  return chat;
}

/** The owner, or the bot that created the chat. */
export function ownsChat(state: EmulatorState, chat: Chat, caller: Caller): boolean {
  if (isBot(caller)) return chat.ownerId === state.app.appId || chat.createdBy === state.app.appId;
  return caller.kind === 'user' && chat.ownerId === caller.openId;
}

/** The owner, the creating bot, or a manager (a user manager, or the bot made manager at creation). */
export function managesChat(state: EmulatorState, chat: Chat, caller: Caller): boolean {
  if (ownsChat(state, chat, caller)) return true;
  if (caller.kind === 'user') return chat.managers.has(caller.openId);
  return chat.settings.set_bot_manager === true;
}
