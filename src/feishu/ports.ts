/**
 * What the app core and the handlers see of Feishu: one narrow port per API family, grouped as FeishuPorts on the
 * context. The real ports are the API modules over one FeishuClient (see feishuPorts); tests pass recording ones.
 * Inputs are the API modules' zod-inferred types; no port exposes the SDK or a token.
 */
import type { Card } from '../card.js';
import type { ApprovalInstance, CreateInstanceInput } from './api/approval.js';
import type { ChatInfo, ChatMember, ChatMembersResult, ChatSummary, CreateChatInput } from './api/chats.js';
import type { FeishuUser } from './api/contact.js';
import type { MessageInfo, Recipient } from './api/im.js';
import type { DraftInfo, MailContact, MailContactInput, SendMailInput } from './api/mailbox.js';
import type { CreateMailgroupInput, MailgroupInfo, MailgroupMember } from './api/mailgroups.js';
import type { Principal, UserPrincipal } from './principal.js';

export type {
  ApprovalInstance,
  ChatInfo,
  ChatMember,
  ChatMembersResult,
  ChatSummary,
  CreateChatInput,
  CreateInstanceInput,
  CreateMailgroupInput,
  DraftInfo,
  FeishuUser,
  MailContact,
  MailContactInput,
  MailgroupInfo,
  MailgroupMember,
  MessageInfo,
  Principal,
  Recipient,
  SendMailInput,
  UserPrincipal,
};
export { asUser, TENANT } from './principal.js';
export { FileTooLarge } from './api/im.js';

/** Messages and cards. `uuid`: Feishu answers a repeated one with the first message. */
export interface ImPort {
  /** `chatId`: the chat of the message replied to, whose per-chat message budget the reply spends. */
  replyCard(messageId: string, card: Card, opts?: { uuid?: string; chatId?: string }): Promise<{ messageId: string }>;
  sendCard(to: Recipient, card: Card, opts?: { uuid?: string }): Promise<{ messageId: string }>;
  replyText(messageId: string, text: string, opts?: { uuid?: string; chatId?: string }): Promise<{ messageId: string }>;
  sendText(to: Recipient, text: string, opts?: { uuid?: string }): Promise<{ messageId: string }>;
  patchCard(messageId: string, card: Card): Promise<void>;
  /** Delayed update with a card callback's token (30 min, 2 uses). */
  updateCardByToken(token: string, card: Card): Promise<void>;
  botInfo(): Promise<{ openId: string; name: string }>;
  /** Recall (delete) a message the bot sent; one already gone counts as recalled. */
  recall(messageId: string): Promise<void>;
  /** A message of a chat the bot is in (a file message's content names its file_key and file_name). */
  getMessage(messageId: string): Promise<MessageInfo>;
  /** A file in a user's message, read up to `maxBytes` (past it: FileTooLarge, and nothing more is read). */
  downloadFile(messageId: string, fileKey: string, opts: { maxBytes: number }): Promise<Buffer>;
}

export interface ChatsPort {
  create(input: CreateChatInput, opts?: { uuid?: string }): Promise<{ chatId: string; name: string }>;
  addMembers(chatId: string, openIds: string[]): Promise<ChatMembersResult>;
  /** Owner and managers, as Feishu holds them (not our records). */
  get(chatId: string): Promise<ChatInfo>;
  members(chatId: string): Promise<ChatMember[]>;
  /** Every group chat the bot is in, with its owner. */
  list(): Promise<ChatSummary[]>;
  /**
   * Remove members (batches of 50, one change per chat at a time). `notRemoved` names the owner, whom Feishu never
   * removes; an id that is not (or no longer) a member counts as removed.
   */
  removeMembers(chatId: string, openIds: string[]): Promise<{ removed: string[]; notRemoved: string[] }>;
  /** Dissolve a chat the bot owns; a chat already dissolved (232009) or gone counts as dissolved. */
  dissolve(chatId: string): Promise<void>;
  /** Hand the chat to a new owner (chat update `owner_id`). */
  transferOwner(chatId: string, ownerOpenId: string): Promise<void>;
}

/** `mayExist`: a run resumed after a crash, whose earlier attempt may have been performed; `adopted` says it was. */
export interface MailgroupsPort {
  create(
    input: CreateMailgroupInput,
    opts?: { mayExist?: boolean },
  ): Promise<{ mailgroupId: string; email: string; adopted: boolean }>;
  get(idOrEmail: string): Promise<MailgroupInfo | undefined>;
  /** Every mail group of the tenant. */
  list(): Promise<MailgroupInfo[]>;
  addMembers(
    mailgroupId: string,
    members: MailgroupMember[],
    opts?: { mayExist?: boolean },
  ): Promise<{ memberIds: string[] }>;
  /** The group's members (all pages). */
  members(mailgroupId: string): Promise<(MailgroupMember & { memberId: string })[]>;
  /** Remove members by their member ids (batch_delete); ids already gone count as removed. */
  removeMembers(mailgroupId: string, memberIds: string[]): Promise<void>;
  /** Delete the group; one already gone counts as deleted. */
  delete(mailgroupId: string): Promise<void>;
}

/** A mailbox, as the tenant or as a user (`as`); drafts and sending need the user. */
export interface MailboxPort {
  createContact(
    mailbox: string,
    contact: MailContactInput,
    opts?: { as?: Principal; mayExist?: boolean },
  ): Promise<{ contactId: string; adopted: boolean }>;
  listContacts(mailbox: string, opts?: { as?: Principal }): Promise<MailContact[]>;
  /** Delete a contact (20/min); one already gone counts as deleted. */
  deleteContact(mailbox: string, contactId: string, opts?: { as?: Principal }): Promise<void>;
  createDraft(mailbox: string, rawEml: string | Buffer, opts: { as: UserPrincipal }): Promise<{ draftId: string }>;
  updateDraft(mailbox: string, draftId: string, rawEml: string | Buffer, opts: { as: UserPrincipal }): Promise<void>;
  getDraft(
    mailbox: string,
    draftId: string,
    opts: { as: UserPrincipal; format?: 'metadata' | 'raw' | 'full' },
  ): Promise<DraftInfo>;
  deleteDraft(mailbox: string, draftId: string, opts: { as: UserPrincipal }): Promise<void>;
  sendDraft(
    mailbox: string,
    draftId: string,
    opts: { as: UserPrincipal },
  ): Promise<{ messageId: string; threadId?: string }>;
  sendMail(
    mailbox: string,
    body: SendMailInput,
    opts: { as: UserPrincipal },
  ): Promise<{ messageId: string; threadId?: string }>;
}

export interface DirectoryPort {
  /**
   * By open_id, or by user_id (a leader, as `leader_user_id` names them). Look-ups are cached for minutes; `fresh`
   * asks Feishu now (whether someone has left).
   */
  getUser(id: string, idType?: 'open_id' | 'user_id', opts?: { fresh?: boolean }): Promise<FeishuUser>;
  /** Each email's open_id, or undefined when the user is unknown or not visible to the app (or has left). */
  openIdsByEmail(emails: string[], opts?: { includeResigned?: boolean }): Promise<Map<string, string | undefined>>;
}

/** Native approvals (approvals.mode "feishu"): instances of one approval definition. */
export interface ApprovalsPort {
  subscribe(approvalCode: string): Promise<void>;
  createInstance(input: CreateInstanceInput): Promise<{ instanceCode: string }>;
  getInstance(instanceCode: string): Promise<ApprovalInstance>;
  cancelInstance(approvalCode: string, instanceCode: string, openId: string): Promise<void>;
}

export interface FeishuPorts {
  im: ImPort;
  chats: ChatsPort;
  mailgroups: MailgroupsPort;
  mailbox: MailboxPort;
  directory: DirectoryPort;
  approvals: ApprovalsPort;
}
