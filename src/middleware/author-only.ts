/**
 * `authorOnly`: a card button that acts on a record (a draft, a change to undo, an approval request) obeys the
 * person who made the record (and whoever `others` admits), not whoever can see the card. The record is loaded once for the handler behind it (in
 * `slot`); a click by anyone else, or on a record that is gone, is answered with a toast and changes nothing.
 *
 *   const theDraft = new ContextSlot<DraftRecord>('the draft');
 *   app.action(sendDraft, authorOnly({ slot: theDraft, load, author: (d) => d.author, audit: 'mail.draft.action', … }), send);
 */

import type { ActionContext, ActionResult } from '../context.js';
import type { ContextSlot, ListenerMiddleware } from './listener.js';
import type { Text } from '../i18n.js';

export interface AuthorOnly<A, T> {
  slot: ContextSlot<T>;
  /** The record the click is about, or undefined when it is gone. */
  load(ctx: ActionContext, args: A): Promise<T | undefined>;
  /** The open_id of the record's author. */
  author(record: T): string;
  /** Whether someone other than the author may act on it too (an admin undoing another's change). */
  others?: (ctx: ActionContext, record: T) => boolean;
  /** What the audit trail calls a refused click, and the record it names. */
  audit: { action: string; target(args: A): string };
  gone: Text;
  notAuthor: Text;
}

export function authorOnly<A, T>(o: AuthorOnly<A, T>): ListenerMiddleware<ActionContext, A, ActionResult | void> {
  return async (ctx, args, next) => {
    const record = await o.load(ctx, args);
    if (record === undefined) return { toast: { type: 'error', text: o.gone } };
    if (o.author(record) !== ctx.sender.openId && !o.others?.(ctx, record)) {
      await ctx.audit(o.audit.action, o.audit.target(args), 'refused', `not the author (${ctx.target?.key ?? ''})`);
      return { toast: { type: 'error', text: o.notAuthor } };
    }
    o.slot.set(ctx, record);
    return next();
  };
}
