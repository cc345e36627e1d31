/**
 * What the buttons on a draft's preview do. Only the draft's author passes `authorOnly`. Exactly once: the draft's
 * fate (sent or discarded) is one Store claim per draft, so double clicks, concurrent clicks, redelivered callbacks
 * and the new+legacy pair all meet the same record; the first decides, the others see "under way" or the recorded
 * card. After a send whose answer was lost, the draft being gone or Feishu's "already sent" means it went out.
 */
import { z } from 'zod';
import { mailSentCard, successCard, type Card } from '../cards/index.js';
import type { Sealing } from '../src/auth/seal.js';
import type { ActionContext, ActionResult } from '../src/context.js';
import { runOnce, type Ctx } from '../src/effects/once.js';
import { compose, t, type Text } from '../src/i18n.js';
import { deriveKey } from '../src/keys.js';
import { holdMail } from './mail-hold.js';
import { errorCodeOf, FeishuError, isAlreadySent, isDraftGone, mayHaveBeenPerformed } from '../src/feishu/errors.js';
import { asUser, type MailboxPort } from '../src/feishu/ports.js';
import { composeMail, isMailAddress } from '../src/mail/compose.js';
import { authorOnly } from '../src/middleware/author-only.js';
import { ContextSlot } from '../src/middleware/listener.js';
import { forgetDraft, readDraft, writeDraft, type DraftRecord, recordedMail } from './draft-records.js';
import { emlOf, mailFailure, parseAddresses, TITLE_SEND_FAILED } from './mail-compose.js';
import { needsSignIn, signInFor, type MailAuth } from './sign-in.js';
import type { DraftDeps } from './draft.js';

import { previewCard, saveDraft } from './draft-preview.js';

/** The draft the clicked button is about, for the handlers behind `authorOnly`. */
export const theDraft = new ContextSlot<DraftRecord>('the draft');

/** Only a draft's author may send, edit or discard it; the draft is loaded for the handler behind it. */
export const draftAuthorOnly = (sealer: Sealing) =>
  authorOnly<{ draftId: string }, DraftRecord>({
    slot: theDraft,
    load: (ctx, { draftId }) => readDraft({ kv: ctx.store, sealer }, draftId),
    author: (d) => d.author,
    audit: { action: 'mail.draft.action', target: ({ draftId }) => draftId },
    gone: t('draft.gone'),
    notAuthor: t('draft.notAuthor'),
  });

const sentCardOf = (r: DraftRecord, sent: { messageId?: string; threadId?: string }, note?: Text): Card =>
  mailSentCard({
    from: r.mailbox,
    recipients: [...r.to, ...r.cc, ...r.bcc],
    subject: r.subject,
    ...(sent.messageId ? { messageId: sent.messageId } : {}),
    ...(sent.threadId ? { threadId: sent.threadId } : {}),
    ...(note ? { note } : {}),
  });

const RECONCILED = t('draft.reconciled');

/** After an unanswered send: a draft that no longer exists was sent by that attempt. */
async function draftGone(mailbox: MailboxPort, r: DraftRecord, draftId: string): Promise<boolean> {
  try {
    await mailbox.getDraft(r.mailbox, draftId, { as: asUser(r.author) });
    return false;
  } catch (err) {
    if (isDraftGone(err)) return true;
    throw err;
  }
}

/**
 * A draft's fate (sent or discarded) is decided once per draft, whoever clicks and however often; once decided, its
 * record goes (a crash before that leaves a record whose next click replays the recorded card).
 */
async function decideFate(
  ctx: Ctx,
  sealer: Sealing,
  draftId: string,
  busy: Text,
  work: (resumed: boolean) => Promise<Card>,
): Promise<ActionResult> {
  const done = await runOnce(ctx, 'draft-fate', work, { scope: draftId, sealer });
  if (done.outcome === 'busy') return { toast: { type: 'info', text: busy } };
  await forgetDraft(ctx.store, draftId);
  return { card: done.value };
}

/** Send on the preview: held for the undo window (mail.undoSendSeconds), or sent at once when it is 0. */
export async function send(ctx: ActionContext, deps: DraftDeps, draftId: string): Promise<ActionResult> {
  const r = theDraft.get(ctx);
  const seconds = ctx.config.app.mail.undoSendSeconds;
  if (seconds === 0) return sendNow(ctx, deps, draftId, r);
  const card = await holdMail(
    ctx,
    deps.sealer,
    holdIdOf(draftId, r),
    { from: r.mailbox, recipients: [...r.to, ...r.cc, ...r.bcc], subject: r.subject, what: { kind: 'draft', draftId } },
    seconds,
    ctx.messageId,
  );
  return { card };
}

/** One hold per draft and Undo: a double click meets the same hold, a Send after Undo makes a new one. */
export const holdIdOf = (draftId: string, r: DraftRecord): string =>
  deriveKey('hold', draftId, String(r.sendAttempt ?? 0));

/** Sends the draft now, once however often this is reached (a click, a held mail's release). */
export async function sendNow(
  ctx: Ctx,
  { auth, sealer }: DraftDeps,
  draftId: string,
  r: DraftRecord,
): Promise<ActionResult> {
  try {
    return await decideFate(ctx, sealer, draftId, t('draft.alreadySending'), async (resumed) => {
      const port = ctx.gateway.mailbox;
      // A send claimed before and never recorded (its process died mid-call) may have gone out.
      if (resumed && (await draftGone(port, r, draftId))) return sentCardOf(r, {}, RECONCILED);
      let card: Card;
      try {
        card = sentCardOf(r, await port.sendDraft(r.mailbox, draftId, { as: asUser(r.author) }));
      } catch (err) {
        // 1236005 after our own attempt (the client retried a lost answer), or a draft consumed by it: sent.
        if (isAlreadySent(err)) card = sentCardOf(r, {}, RECONCILED);
        else if (err instanceof FeishuError && mayHaveBeenPerformed(err) && (await draftGone(port, r, draftId)))
          card = sentCardOf(r, {}, RECONCILED);
        else throw err;
      }
      await ctx.audit('mail.draft.send', r.mailbox, 'ok', draftId);
      return card;
    });
  } catch (err) {
    await ctx.audit('mail.draft.send', r.mailbox, 'error', errorCodeOf(err));
    if (needsSignIn(err)) return signInAside(ctx, auth, err);
    const card = await mailFailure(ctx, auth, TITLE_SEND_FAILED, err);
    return { card, toast: { type: 'error', text: t('mail.notSentToast') } };
  }
}

/** A lapsed sign-in on a click: the sign-in card comes as a new message, and the preview stays to click again. */
async function signInAside(ctx: Ctx, auth: MailAuth, err: unknown): Promise<ActionResult> {
  await ctx.send(await signInFor(ctx, auth, undefined, err));
  return { toast: { type: 'warning', text: t('draft.signInAgain') } };
}

export async function discard(ctx: ActionContext, { auth, sealer }: DraftDeps, draftId: string): Promise<ActionResult> {
  const r = theDraft.get(ctx);
  try {
    return await decideFate(ctx, sealer, draftId, t('draft.beingHandled'), async () => {
      try {
        await ctx.gateway.mailbox.deleteDraft(r.mailbox, draftId, { as: asUser(r.author) });
      } catch (err) {
        if (!isDraftGone(err)) throw err;
      }
      await ctx.audit('mail.draft.delete', r.mailbox, 'ok', draftId);
      return successCard({
        title: t('draft.discarded'),
        fields: [{ label: t('mail.field.subject'), value: r.subject }],
      });
    });
  } catch (err) {
    return { card: await mailFailure(ctx, auth, t('draft.discardFailed'), err) };
  }
}

export async function save(
  ctx: ActionContext,
  { auth, sealer }: DraftDeps,
  a: z.infer<typeof saveDraft.schema>,
): Promise<ActionResult> {
  const r = theDraft.get(ctx);
  const list = (s: string | undefined, old: string[]) =>
    s === undefined ? old.map((address) => ({ address })) : parseAddresses(s);
  const input = {
    to: list(a.to, r.to),
    cc: list(a.cc, r.cc),
    bcc: list(a.bcc, r.bcc),
    subject: a.subject ?? r.subject,
    body: a.body ?? r.body,
  };
  const bad = [...input.to, ...input.cc, ...input.bcc].filter((m) => !isMailAddress(m.address));
  const composed = await composeMail({ from: { address: r.mailbox, name: r.fromName }, ...input });
  if (!composed.ok || bad.length) {
    const problems = composed.ok ? [] : composed.problems;
    // Each problem is a sentence; Chinese and Japanese ones end in 。 and follow each other without a space.
    const text = compose((say, locale) => problems.map(say).join(locale === 'en_us' ? ' ' : ''));
    return { toast: { type: 'error', text: problems.length ? text : t('draft.invalidAddress') } };
  }
  try {
    await ctx.gateway.mailbox.updateDraft(r.mailbox, a.draftId, emlOf(composed.mail), { as: asUser(r.author) });
  } catch (err) {
    return { card: await mailFailure(ctx, auth, t('draft.updateFailed'), err) };
  }
  const next: DraftRecord = { ...r, ...recordedMail(input, composed.mail) };
  await writeDraft({ kv: ctx.store, sealer }, a.draftId, next);
  await ctx.audit('mail.draft.update', r.mailbox, 'ok', a.draftId);
  return {
    card: previewCard(a.draftId, next, t('draft.updated')),
    toast: { type: 'success', text: t('draft.updated') },
  };
}
