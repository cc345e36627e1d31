/**
 * One context per delivery: who asked, where, a logger tagged with the event id, and the ways to answer.
 * Replies carry a uuid derived from the delivery, so a redelivered event cannot post twice (Feishu dedupes a
 * message uuid for an hour; our inbox dedupes for longer, this covers a crash between reply and completion).
 */
import { type Card } from './card.js';
import type { Config } from './config.js';
import type { CardCallbackResponse, Delivery } from './delivery.js';
import { internalDelivery, type FeishuEvents, type InternalEventName } from './events.js';
import type { FeishuPorts } from './feishu/ports.js';
import { cardLocales, pick } from './i18n.js';
import { deriveKey } from './keys.js';
import type { Logger } from './log.js';
import type { AuditPort, AuditResult, IdempotencyPort, IndexPort, KvPort } from './store/store.js';
import type { Text } from './i18n.js';

export interface Sender {
  openId: string;
  unionId?: string;
  userId?: string;
  name?: string;
}

export type ContextKind = 'message' | 'action' | 'event';

export interface Toast {
  type: 'info' | 'success' | 'error' | 'warning';
  text: Text;
}

/** A toast as a callback answers it: `i18n` for the reader's client, `content` in the default language. */
export function toastResponse(toast: Toast): NonNullable<CardCallbackResponse['toast']> {
  const text = toast.text;
  return { type: toast.type, content: pick(text), i18n: Object.fromEntries(cardLocales().map((l) => [l, text[l]])) };
}

/** What a card action answers with: the card replaces the clicked one, the toast pops up. */
export interface ActionResult {
  card?: Card;
  toast?: Toast;
}

/** What middleware decided, for metrics and logs. */
export type Outcome = 'ok' | 'ignored' | 'refused' | 'invalid' | 'error';

/** The Store as handlers see it: records, indexes, run-once claims and the audit trail; the inbox is not theirs. */
export type HandlerStore = KvPort & IndexPort & IdempotencyPort & AuditPort;

export interface ContextInit {
  kind: ContextKind;
  delivery: Pick<Delivery, 'id' | 'type' | 'dedupeKey' | 'finalAttempt'>;
  /** Feishu, as narrow ports per API family; tests pass recording ones. */
  gateway: FeishuPorts;
  store: HandlerStore;
  config: Config;
  logger: Logger;
  botOpenId: string;
  now: () => number;
  sender?: Sender;
  /** sender_type of a message ("user", "app", …). */
  senderType?: string;
  chatId?: string;
  messageId?: string;
  /** The message this one replies to (Feishu's parent_id). */
  parentId?: string;
  chatType?: string;
  target?: Target;
  /** The command line as typed (or given to `app.run`), for handlers whose last argument keeps its line breaks. */
  text?: string;
  /** A card action rerun from the inbox after the process that answered its click died (see `Context.resumed`). */
  resumed?: boolean;
  /** The inbox's door for work the bot schedules for itself. */
  schedule?: (d: Delivery) => Promise<unknown>;
  /** The approved request this run carries out (see `Context.approval`). */
  approval?: string;
}

/** What authorization checks: a command ("group create") or a card action ("draft.send"). */
export interface Target {
  kind: 'command' | 'action';
  key: string;
  /** Who may run it when app.config.json `commands` names no rule for it (default: everyone). */
  fallback?: readonly string[];
}

/**
 * What a command handler gets: the sender is known (the app drops a message without one before its handler).
 * `chatId` stays optional: a command run from the bot menu (or by `app.run` without a chat) has no chat, and
 * answers the sender privately.
 */
export type CommandContext = Context & { readonly kind: 'message'; readonly sender: Sender };
/** What a card action handler gets: the clicker is known. `chatId` is absent only in legacy callbacks without one. */
export type ActionContext = Context & { readonly kind: 'action'; readonly sender: Sender };
/** Other events may have neither a sender nor a chat (a directory event). */
export type EventContext = Context & { readonly kind: 'event' };

/** A chat command whose sender is known. */
export const isCommand = (ctx: Context): ctx is CommandContext => ctx.kind === 'message' && ctx.sender !== undefined;
/** Any other event. */
export const isEvent = (ctx: Context): ctx is EventContext => ctx.kind === 'event';
/** A card click whose clicker is known. */
export const isAction = (ctx: Context): ctx is ActionContext => ctx.kind === 'action' && ctx.sender !== undefined;

export class Context {
  readonly kind: ContextKind;
  readonly eventId: string;
  readonly eventType: string;
  /** What a redelivery of this work carries too: reply uuids and idempotency keys derive from it. */
  readonly dedupeKey: string;
  readonly logger: Logger;
  readonly gateway: FeishuPorts;
  readonly store: HandlerStore;
  readonly config: Config;
  readonly botOpenId: string;
  readonly sender: Sender | undefined;
  readonly senderType: string | undefined;
  readonly chatId: string | undefined;
  readonly messageId: string | undefined;
  readonly parentId: string | undefined;
  readonly chatType: string | undefined;
  readonly target: Target | undefined;
  readonly text: string | undefined;
  /** A card action rerun after a crash: its click was answered long ago, so it may wait for a claim the dead run held. */
  readonly resumed: boolean;
  /**
   * The id of the approval request this run carries out, when the app resumes a command or click once it was
   * approved: the approval gate checks the request and lets the run through instead of asking again.
   */
  readonly approval: string | undefined;
  /** False while the inbox will run this work again after a retryable failure (see the error boundary). */
  readonly finalAttempt: boolean;
  /** Card actions: the answer, set by the handler or by middleware that stops it. */
  result: ActionResult | undefined;
  outcome: Outcome = 'ok';
  readonly #now: () => number;
  readonly #schedule: ((d: Delivery) => Promise<unknown>) | undefined;
  #posts = 0;
  /** A "still working" card this work showed: the answer replaces it instead of arriving beside it. */
  #progress: string | undefined;
  /** The uuid the answer is replied with when no "still working" card shows (see `answerAs`). */
  #answerUuid: string | undefined;

  constructor(init: ContextInit) {
    this.kind = init.kind;
    this.eventId = init.delivery.id;
    this.eventType = init.delivery.type;
    this.dedupeKey = init.delivery.dedupeKey;
    this.#now = init.now;
    this.#schedule = init.schedule;
    this.gateway = init.gateway;
    this.store = init.store;
    this.config = init.config;
    this.botOpenId = init.botOpenId;
    this.sender = init.sender;
    this.senderType = init.senderType;
    this.chatId = init.chatId;
    this.resumed = init.resumed ?? false;
    this.approval = init.approval;
    // A card action answers its click (or its progress card) with whatever happened: nothing retries it.
    this.finalAttempt = init.kind === 'action' || (init.delivery.finalAttempt ?? true);
    this.messageId = init.messageId;
    this.parentId = init.parentId;
    this.chatType = init.chatType;
    this.target = init.target;
    this.text = init.text;
    this.logger = init.logger.child({
      eventId: init.delivery.id,
      eventType: init.delivery.type,
      ...(init.target ? { target: init.target.key } : {}),
    });
  }

  /** The bot's clock (epoch ms): the store's, so records a handler stamps agree with the TTLs they are read under. */
  now(): number {
    return this.#now();
  }

  /** Reply to the originating message; with none (menu clicks, events) post where `send` would. */
  reply(card: Card): Promise<{ messageId: string }> {
    if (!this.messageId) return this.send(card);
    return this.#replyCard(this.messageId, card, this.#nextUuid());
  }

  #replyCard(messageId: string, card: Card, uuid: string): Promise<{ messageId: string }> {
    return this.gateway.im.replyCard(messageId, card, { uuid, ...(this.chatId ? { chatId: this.chatId } : {}) });
  }

  /** Post to the chat of the delivery, or to the sender privately when there is no chat. */
  send(card: Card): Promise<{ messageId: string }> {
    const to = this.chatId ? { chatId: this.chatId } : this.sender ? { openId: this.sender.openId } : undefined;
    if (!to) return Promise.reject(new Error(`event ${this.eventType} has neither a chat nor a sender to post to`));
    return this.gateway.im.sendCard(to, card, { uuid: this.#nextUuid() });
  }

  /**
   * A card action's answer becomes its result; anything else replaces the "still working" card it showed, or is
   * answered by a reply.
   */
  async answer(card: Card, toast?: Toast): Promise<void> {
    if (this.kind === 'action') this.result = { card, ...(toast ? { toast } : {}) };
    else if (this.#progress) await this.gateway.im.patchCard(this.#progress, card);
    else if (this.#answerUuid && this.messageId) await this.#replyCard(this.messageId, card, this.#answerUuid);
    else await this.reply(card);
  }

  /**
   * Replies the answer with `uuid`, the one a "still working" card of this delivery is sent with: two runs of one
   * delivery that overlap (a lease that lapsed while the store was out of reach) then land on one message, whichever
   * replies first, and the slower run's result replaces it, instead of one run's result appearing beside the other's
   * progress card.
   */
  answerAs(uuid: string): void {
    this.#answerUuid = uuid;
  }

  /** Notes the "still working" card this work posted, so whatever answers it (the result, a failure) replaces it. */
  showingProgress(messageId: string): void {
    this.#progress = messageId;
  }

  /** Replace the card that was clicked (card actions), at any time, by PATCH; the final answer goes via `result`. */
  updateCard(card: Card): Promise<void> {
    if (this.kind !== 'action' || !this.messageId) {
      return Promise.reject(new Error('updateCard works only in a card action, on the card that was clicked'));
    }
    return this.gateway.im.patchCard(this.messageId, card);
  }

  /**
   * Enqueues one of the bot's own events to run at `at` (or now), durably, through the inbox like any event; `key`
   * is its identity, so scheduling the same work twice enqueues it once.
   */
  async later<K extends InternalEventName>(
    type: K,
    event: FeishuEvents[K],
    o: { key: string; at?: number },
  ): Promise<void> {
    if (!this.#schedule) throw new Error(`this app has no inbox to schedule ${type} into`);
    await this.#schedule(internalDelivery(type, event, o.key, this.#now(), o.at));
  }

  /** Narrows a command or action context once its sender is known. */
  hasSender(): this is Context & { readonly sender: Sender } {
    return this.sender !== undefined;
  }

  audit(action: string, target: string, result: AuditResult, detail?: string): Promise<void> {
    return this.store.audit({
      at: this.#now(),
      actor: this.sender?.openId ?? 'system',
      action,
      target,
      result,
      eventId: this.eventId,
      ...(detail !== undefined ? { detail } : {}),
    });
  }

  /** Deterministic per delivery and per post: the n-th post of a redelivered event reuses the n-th uuid. */
  #nextUuid(): string {
    const n = this.#posts++;
    return deriveKey(`${this.dedupeKey}#${n}`);
  }
}
