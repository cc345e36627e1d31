/**
 * /draft to=… [cc=…] [bcc=…] subject=… <body>: composes the mail as the signed-in user (From = their enterprise
 * mailbox), saves it as a draft in their mailbox and answers with a preview card: Send (confirmed), Edit, Discard.
 *
 * Exactly once: the draft's fate (sent or discarded) is one Store claim per draft, so double clicks, concurrent
 * clicks, redelivered callbacks and the new+legacy pair all meet the same record; the first decides, the others
 * see "under way" or the recorded card. After a send whose answer was lost, the draft being gone or Feishu's
 * "already sent" means it went out: the card says sent. Only the author may act on a draft.
 *
 * The bot's record of a draft holds its body and Bcc: it is sealed like the sign-in tokens (AES-256-GCM under
 * TOKEN_ENCRYPTION_KEY) before it reaches the store, and deleted once the draft is sent or discarded.
 */
import { z } from 'zod';
import { draftEditCard, draftPreviewCard, errorCard, mailSentCard, successCard, type Bilingual, type Card } from '../cards/index.js';
import { defineAction } from '../src/actions.js';
import type { App } from '../src/app.js';
import type { Sealing } from '../src/auth/seal.js';
import type { CommandSpec } from '../src/commands/spec.js';
import type { ActionContext, ActionResult, CommandContext } from '../src/context.js';
import { once } from '../src/effects/once.js';
import { busyCard } from '../src/effects/progress.js';
import { errorCodeOf, FeishuError, isAlreadySent, isDraftGone, mayHaveBeenPerformed } from '../src/feishu/errors.js';
import { asUser, type ImPort, type MailboxPort } from '../src/feishu/ports.js';
import { composeMail, isMailAddress } from '../src/mail/compose.js';
import { ContextSlot, type ListenerMiddleware } from '../src/middleware/listener.js';
import { createDraftFor, forgetDraft, readDraft, writeDraft, type DraftInput, type DraftKeeping, type DraftRecord } from './draft-records.js';
import {
  bodyText, emlOf, mailArgs, mailFailure, NO_MAILBOX, parseAddresses, problemLines, resolveRecipients, TITLE_SEND_FAILED, type MailArgs,
} from './mail-compose.js';
import { needsSignIn, signInFor, type MailAuth } from './sign-in.js';

export const draftSpec: CommandSpec<typeof mailArgs> = {
  summary: { zh: '以你的身份写一封邮件草稿，预览后再发送', en: 'Write a mail draft as you; preview it, then send' },
  usage: '/draft to=地址|@某人 [cc=…] [bcc=…] subject=主题 <正文 body>',
  examples: [
    '/draft to=lina@feishu-ops.example subject="周报" 本周完成了 **发布**。',
    '/draft to=a@example.com,b@example.com cc=c@example.com subject=Hello Hi all',
  ],
  args: mailArgs,
  rest: 'body',
  bodyLines: true,
  mentions: 'people',
};

/**
 * A draft made in `author`'s mailbox outside a command (onboarding's welcome mail): recorded like a /draft, so the
 * preview card it is offered with lets its author Send, Edit or Discard it. `uuid` makes the offer once per effect.
 */
export async function offerDraft(
  deps: DraftKeeping & { im: ImPort }, draftId: string, draft: DraftRecord, uuid: string,
): Promise<void> {
  await writeDraft(deps, draftId, draft);
  await deps.im.sendCard({ openId: draft.author }, previewCard(draftId, draft), { uuid });
}

export const sendDraft = defineAction('draft.send', z.object({ draftId: z.string().min(1) }), { progress: { zh: '正在发送邮件', en: 'Sending the mail' } });
export const editDraft = defineAction('draft.edit', z.object({ draftId: z.string().min(1) }));
export const previewDraft = defineAction('draft.preview', z.object({ draftId: z.string().min(1) }));
export const discardDraft = defineAction('draft.discard', z.object({ draftId: z.string().min(1) }));
const formText = z.string().max(100_000).optional();
export const saveDraft = defineAction('draft.save', z.object({
  draftId: z.string().min(1), to: formText, cc: formText, bcc: formText, subject: formText, body: formText,
}), { form: ['to', 'cc', 'bcc', 'subject', 'body'], progress: { zh: '正在更新草稿', en: 'Updating the draft' } });

function previewCard(draftId: string, r: DraftRecord, note?: Bilingual): Card {
  return draftPreviewCard({
    from: r.fromName ? `${r.fromName} <${r.mailbox}>` : r.mailbox, to: r.to, cc: r.cc, bcc: r.bcc, subject: r.subject,
    excerpt: r.body, size: r.size,
    actions: [
      sendDraft.button({ draftId }, { label: { zh: '发送', en: 'Send' }, style: 'primary', confirm: { zh: `确定发送「${r.subject}」给 ${[...r.to, ...r.cc, ...r.bcc].length} 位收件人？`, en: `Send "${r.subject}" to ${[...r.to, ...r.cc, ...r.bcc].length} recipient(s)?` } }),
      editDraft.button({ draftId }, { label: { zh: '编辑', en: 'Edit' } }),
      discardDraft.button({ draftId }, { label: { zh: '丢弃', en: 'Discard' }, style: 'danger', confirm: { zh: '确定丢弃这份草稿？', en: 'Discard this draft?' } }),
    ],
    ...(note ? { note } : {}),
  });
}

const TITLE_DRAFT_FAILED: Bilingual = { zh: '草稿未能保存', en: 'Could not save the draft' };
/** What the draft handlers need beyond the context: the sign-in, and the sealer for their records. */
interface DraftDeps {
  auth: MailAuth;
  sealer: Sealing;
}

async function draftCommand(ctx: CommandContext, { auth, sealer }: DraftDeps, a: MailArgs): Promise<void> {
  const resolved = await resolveRecipients(ctx.gateway.directory, a);
  if (!resolved.ok) {
    await ctx.reply(errorCard({ title: TITLE_DRAFT_FAILED, problems: resolved.problems, example: draftSpec.examples[0] }));
    return;
  }
  const input: DraftInput = { ...resolved.recipients, subject: a.subject ?? '', body: bodyText(ctx.text, a.body ?? []) };
  const done = await once(ctx, 'draft', async () => {
    try {
      const created = await createDraftFor({ mailbox: ctx.gateway.mailbox, kv: ctx.store, sealer, auth }, ctx.sender.openId, input, ctx.dedupeKey);
      if (created.ok) {
        await ctx.audit('mail.draft.create', created.record.mailbox, 'ok', created.draftId);
        return previewCard(created.draftId, created.record);
      }
      if (created.reason === 'not_signed_in') return signInFor(ctx, auth, a);
      if (created.reason === 'no_mailbox') return errorCard({ title: TITLE_DRAFT_FAILED, problems: [NO_MAILBOX] });
      return errorCard({ title: TITLE_DRAFT_FAILED, problems: problemLines(created.problems), example: draftSpec.examples[0] });
    } catch (err) {
      await ctx.audit('mail.draft.create', ctx.sender.openId, 'error', errorCodeOf(err));
      return mailFailure(ctx, auth, TITLE_DRAFT_FAILED, err, a);
    }
  }, undefined, sealer);
  await ctx.reply(done.outcome === 'busy' ? busyCard({ zh: '正在保存草稿', en: 'Saving the draft' }) : done.card);
}

const toast = (type: 'error' | 'info' | 'warning', zh: string, en: string): ActionResult => ({ toast: { type, text: { zh, en } } });

/** The draft the clicked button is about, for the handlers behind `authorOnly`. */
const theDraft = new ContextSlot<DraftRecord>('the draft');

/**
 * Only a draft's author may act on it: the draft is loaded for the handler, or the click is answered with the toast
 * that says why not (the card stays as it is).
 */
const authorOnly = (sealer: Sealing): ListenerMiddleware<ActionContext, { draftId: string }, ActionResult | void> => async (ctx, { draftId }, next) => {
  const record = await readDraft({ kv: ctx.store, sealer }, draftId);
  if (!record) return toast('error', '找不到这份草稿（已发送、已丢弃或已过期），请重新 /draft', 'This draft is gone (sent, discarded or expired): run /draft again');
  if (record.author !== ctx.sender.openId) {
    await ctx.audit('mail.draft.action', draftId, 'refused', `not the author (${ctx.target?.key ?? ''})`);
    return toast('error', '只有草稿的作者可以发送、编辑或丢弃它', 'Only the author of this draft can send, edit or discard it');
  }
  theDraft.set(ctx, record);
  return next();
};

const sentCardOf = (r: DraftRecord, sent: { messageId?: string; threadId?: string }, note?: Bilingual): Card => mailSentCard({
  from: r.mailbox, recipients: [...r.to, ...r.cc, ...r.bcc], subject: r.subject,
  ...(sent.messageId ? { messageId: sent.messageId } : {}), ...(sent.threadId ? { threadId: sent.threadId } : {}), ...(note ? { note } : {}),
});

const RECONCILED: Bilingual = {
  zh: '飞书没有回复发送请求，但草稿已被发出（已核实），不会重复发送。',
  en: 'Feishu did not answer the send, but the draft went out (checked); it will not be sent again.',
};

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

async function send(ctx: ActionContext, { auth, sealer }: DraftDeps, draftId: string): Promise<ActionResult> {
  const r = theDraft.get(ctx);
  try {
    const done = await once(ctx, 'draft-fate', async (resumed) => {
      const port = ctx.gateway.mailbox;
      // A send claimed before and never recorded (its process died mid-call) may have gone out.
      if (resumed && await draftGone(port, r, draftId)) return sentCardOf(r, {}, RECONCILED);
      let card: Card;
      try {
        card = sentCardOf(r, await port.sendDraft(r.mailbox, draftId, { as: asUser(r.author) }));
      } catch (err) {
        // 1236005 after our own attempt (the client retried a lost answer), or a draft consumed by it: sent.
        if (isAlreadySent(err)) card = sentCardOf(r, {}, RECONCILED);
        else if (err instanceof FeishuError && mayHaveBeenPerformed(err) && await draftGone(port, r, draftId)) card = sentCardOf(r, {}, RECONCILED);
        else throw err;
      }
      await ctx.audit('mail.draft.send', r.mailbox, 'ok', draftId);
      return card;
    }, draftId, sealer);
    if (done.outcome === 'busy') return toast('info', '正在发送，请稍候', 'Already sending; one moment');
    await forgetDraft(ctx.store, draftId);
    return { card: done.card };
  } catch (err) {
    await ctx.audit('mail.draft.send', r.mailbox, 'error', errorCodeOf(err));
    if (needsSignIn(err)) return signInAside(ctx, auth, err);
    const card = await mailFailure(ctx, auth, TITLE_SEND_FAILED, err);
    return { card, toast: { type: 'error', text: { zh: '邮件未发送', en: 'The mail was not sent' } } };
  }
}

/** A lapsed sign-in on a click: the sign-in card comes as a new message, and the preview stays to click again. */
async function signInAside(ctx: ActionContext, auth: MailAuth, err: unknown): Promise<ActionResult> {
  await ctx.send(await signInFor(ctx, auth, undefined, err));
  return toast('warning', '请先重新登录，然后再点一次', 'Sign in again (see the new card), then click again');
}

async function discard(ctx: ActionContext, { auth, sealer }: DraftDeps, draftId: string): Promise<ActionResult> {
  const r = theDraft.get(ctx);
  try {
    const done = await once(ctx, 'draft-fate', async () => {
      try {
        await ctx.gateway.mailbox.deleteDraft(r.mailbox, draftId, { as: asUser(r.author) });
      } catch (err) {
        if (!isDraftGone(err)) throw err;
      }
      await ctx.audit('mail.draft.delete', r.mailbox, 'ok', draftId);
      return successCard({ title: { zh: '草稿已丢弃', en: 'Draft discarded' }, fields: [{ label: { zh: '主题', en: 'Subject' }, value: r.subject }] });
    }, draftId, sealer);
    if (done.outcome === 'busy') return toast('info', '这份草稿正在处理中', 'This draft is being handled right now');
    await forgetDraft(ctx.store, draftId);
    return { card: done.card };
  } catch (err) {
    return { card: await mailFailure(ctx, auth, { zh: '草稿未能丢弃', en: 'Could not discard the draft' }, err) };
  }
}

async function save(ctx: ActionContext, { auth, sealer }: DraftDeps, a: z.infer<typeof saveDraft.schema>): Promise<ActionResult> {
  const r = theDraft.get(ctx);
  const list = (s: string | undefined, old: string[]) => (s === undefined ? old.map((address) => ({ address })) : parseAddresses(s));
  const input = { to: list(a.to, r.to), cc: list(a.cc, r.cc), bcc: list(a.bcc, r.bcc), subject: a.subject ?? r.subject, body: a.body ?? r.body };
  const bad = [...input.to, ...input.cc, ...input.bcc].filter((m) => !isMailAddress(m.address));
  const composed = await composeMail({ from: { address: r.mailbox, name: r.fromName }, ...input });
  if (!composed.ok || bad.length) {
    const problems = composed.ok ? [] : problemLines(composed.problems);
    return { toast: { type: 'error', text: { zh: problems.map((p) => p.zh).join('；') || '地址无效', en: problems.map((p) => p.en).join('; ') || 'Invalid address' } } };
  }
  try {
    await ctx.gateway.mailbox.updateDraft(r.mailbox, a.draftId, emlOf(composed.mail), { as: asUser(r.author) });
  } catch (err) {
    return { card: await mailFailure(ctx, auth, { zh: '草稿未能更新', en: 'Could not update the draft' }, err) };
  }
  const next: DraftRecord = {
    ...r, to: input.to.map((m) => m.address), cc: input.cc.map((m) => m.address), bcc: input.bcc.map((m) => m.address),
    subject: input.subject.trim(), body: input.body, size: composed.mail.size,
  };
  await writeDraft({ kv: ctx.store, sealer }, a.draftId, next);
  await ctx.audit('mail.draft.update', r.mailbox, 'ok', a.draftId);
  return { card: previewCard(a.draftId, next, { zh: '草稿已更新', en: 'Draft updated' }), toast: { type: 'success', text: { zh: '草稿已更新', en: 'Draft updated' } } };
}

export function registerDraft(app: App, deps: DraftDeps): void {
  const author = authorOnly(deps.sealer);
  app.command('draft', draftSpec, (ctx, a) => draftCommand(ctx, deps, a));
  app.action(sendDraft, author, (ctx, { draftId }) => send(ctx, deps, draftId));
  app.action(discardDraft, author, (ctx, { draftId }) => discard(ctx, deps, draftId));
  app.action(saveDraft, author, (ctx, a) => save(ctx, deps, a));
  app.action(editDraft, author, async (ctx, { draftId }) => {
    const r = theDraft.get(ctx);
    return {
      card: draftEditCard({
        to: r.to.join(', '), cc: r.cc.join(', '), bcc: r.bcc.join(', '), subject: r.subject, body: r.body,
        save: saveDraft.button({ draftId }, { label: { zh: '保存并预览', en: 'Save and preview' }, style: 'primary' }),
        cancel: previewDraft.button({ draftId }, { label: { zh: '取消', en: 'Cancel' } }),
      }),
    };
  });
  app.action(previewDraft, author, async (ctx, { draftId }) => ({ card: previewCard(draftId, theDraft.get(ctx)) }));
}
