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
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { draftEditCard, draftPreviewCard, errorCard, feishuErrorCard, mailSentCard, successCard, type Bilingual, type Card } from '../cards/index.js';
import { defineAction } from '../src/actions.js';
import type { App } from '../src/app.js';
import type { Sealing } from '../src/auth/seal.js';
import type { CommandSpec } from '../src/commands/spec.js';
import type { ActionContext, ActionResult } from '../src/context.js';
import { FeishuError, isAlreadySent, isDraftGone, mayHaveBeenPerformed } from '../src/feishu/errors.js';
import { asUser, type DirectoryPort, type ImPort, type MailboxPort } from '../src/feishu/ports.js';
import { composeMail, isMailAddress, type ComposedMail, type Mailbox, type MailProblem } from '../src/mail/compose.js';
import { keyspace } from '../src/store/keyspace.js';
import type { KvPort } from '../src/store/store.js';
import { once } from '../src/effects/once.js';
import { busyCard } from '../src/effects/progress.js';
import { userRef, type Ctx } from './provision.js';
import { needsSignIn, signInFor, type MailAuth } from './sign-in.js';

const DAY = 86_400_000;

const recipientList = z.union([userRef, z.string()]);

/** What /draft and /mail send take: recipients as addresses or @mentions, a subject, a body that may span lines. */
export const mailArgs = z.object({
  to: recipientList.optional().describe('收件人：邮箱地址（逗号分隔）或 @某人 / recipients: addresses (comma-separated) or an @mention'),
  cc: recipientList.optional().describe('抄送 / Cc'),
  bcc: recipientList.optional().describe('密送 / Bcc'),
  subject: z.string().optional().describe('主题 / subject'),
  body: z.array(z.string()).optional().describe('正文（Markdown，可换行） / body (Markdown, may span lines)'),
  people: z.array(userRef).optional().describe('其他被 @ 的人都是收件人 / other @mentioned people are recipients too'),
});
export type MailArgs = z.infer<typeof mailArgs>;

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

/** What the bot keeps about a draft it made, until it is sent or discarded: who may act on it, what the preview shows. */
const draftRecord = z.object({
  author: z.string(),
  mailbox: z.string(),
  fromName: z.string(),
  to: z.array(z.string()),
  cc: z.array(z.string()),
  bcc: z.array(z.string()),
  subject: z.string(),
  body: z.string(),
  size: z.number(),
});
type DraftRecord = z.infer<typeof draftRecord>;
/** A record stored before records were sealed: in clear, kept after its draft was sent or discarded. */
const clearRecord = draftRecord.extend({ state: z.enum(['draft', 'sent', 'discarded']) });
/** A DraftRecord sealed with its key as the associated data, so it opens under no other draft's id (or a clear one). */
const drafts = keyspace('draft', z.union([z.string(), clearRecord]), 30 * DAY);

/** Where draft records are kept: the store, and the sealer that keeps them unreadable there. */
export interface DraftKeeping {
  kv: KvPort;
  sealer: Sealing;
}

const writeDraft = ({ kv, sealer }: DraftKeeping, draftId: string, r: DraftRecord): Promise<void> =>
  drafts.set(kv, draftId, sealer.seal(draftRecord.parse(r), drafts.key(draftId)));

/**
 * The record, or undefined when there is none (never made, sent, discarded, expired) or it cannot be opened. A clear
 * record is sealed (or, once its draft is settled, deleted) the first time it is read.
 */
async function readDraft(keeping: DraftKeeping, draftId: string): Promise<DraftRecord | undefined> {
  const stored = await drafts.get(keeping.kv, draftId);
  if (typeof stored === 'string') {
    const opened = draftRecord.safeParse(keeping.sealer.open(stored, drafts.key(draftId)));
    return opened.success ? opened.data : undefined;
  }
  if (stored === undefined) return undefined;
  const { state, ...record } = stored;
  if (state !== 'draft') return void await drafts.delete(keeping.kv, draftId);
  await writeDraft(keeping, draftId, record);
  return record;
}

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

/**
 * The body as typed: the words after the options on the first line, then every following line verbatim (the parser
 * reads only the first line of a command with `bodyLines`), so line breaks and Markdown survive.
 */
export function bodyText(text: string | undefined, words: readonly string[]): string {
  const nl = text?.indexOf('\n') ?? -1;
  const firstLine = words.join(' ');
  if (text === undefined || nl === -1) return firstLine;
  const rest = text.slice(nl + 1);
  return firstLine ? `${firstLine}\n${rest}` : rest;
}

export interface Recipients {
  to: Mailbox[];
  cc: Mailbox[];
  bcc: Mailbox[];
}

/** "a@x, 李娜 <lina@y>; b@z": commas or semicolons between entries, a display name before <address>. */
function parseAddresses(s: string): Mailbox[] {
  return s.split(/[,，;；]/).flatMap((piece) => {
    const named = /^\s*(.*?)\s*<([^>]*)>\s*$/.exec(piece);
    if (named) return [{ address: named[2]!.trim(), ...(named[1] ? { name: named[1] } : {}) }];
    return piece.split(/\s+/).filter(Boolean).map((address) => ({ address }));
  });
}

/** Addresses as typed, @mentions as their enterprise mailbox; every unusable entry is named. */
export async function resolveRecipients(directory: DirectoryPort, a: Pick<MailArgs, 'to' | 'cc' | 'bcc' | 'people'>): Promise<{ ok: true; recipients: Recipients } | { ok: false; problems: Bilingual[] }> {
  const problems: Bilingual[] = [];
  const resolveOne = async (field: string, v: z.infer<typeof recipientList> | undefined): Promise<Mailbox[]> => {
    if (v === undefined) return [];
    if (typeof v !== 'string') {
      const user = await directory.getUser(v.openId).catch(() => undefined);
      if (user?.enterpriseEmail) return [{ address: user.enterpriseEmail, name: user.name }];
      problems.push({ zh: `${field}: ${v.name} 没有企业邮箱`, en: `${field}: ${v.name} has no organisation mailbox` });
      return [];
    }
    return parseAddresses(v).flatMap((m) => {
      if (m.address.startsWith('@')) {
        problems.push({ zh: `${field}: 每个选项只能 @ 一个人；其他 @ 的人会作为收件人`, en: `${field}: an option takes one @mention; mention others anywhere to add them as recipients` });
        return [];
      }
      return [m];
    });
  };
  const to = await resolveOne('to', a.to);
  for (const p of a.people ?? []) to.push(...await resolveOne('to', p));
  const recipients = { to, cc: await resolveOne('cc', a.cc), bcc: await resolveOne('bcc', a.bcc) };
  return problems.length ? { ok: false, problems } : { ok: true, recipients };
}

/** The ports take the EML itself and encode it for the wire. */
export const emlOf = (mail: ComposedMail): Buffer => Buffer.from(mail.raw, 'base64url');

export const problemLines = (problems: MailProblem[]): Bilingual[] => problems.map((p) => ({ zh: p.zh, en: p.en }));

/** Who sends: the signed-in user's own enterprise mailbox (Feishu's sender check, 1236017). */
export async function senderOf(auth: MailAuth, openId: string): Promise<{ from: Mailbox } | 'not_signed_in' | 'no_mailbox'> {
  const status = await auth.status(openId);
  if (!status.signedIn) return 'not_signed_in';
  if (!status.mailbox) return 'no_mailbox';
  return { from: { address: status.mailbox, name: status.name } };
}

export const NO_MAILBOX: Bilingual = { zh: '你的账号没有企业邮箱，无法以你的身份发信。', en: 'Your account has no organisation mailbox to send from.' };

export interface DraftInput extends Recipients {
  subject: string;
  body: string;
}

export type CreatedDraft =
  | { ok: true; draftId: string; mail: ComposedMail; record: DraftRecord }
  | { ok: false; reason: 'not_signed_in' }
  | { ok: false; reason: 'no_mailbox' }
  | { ok: false; reason: 'invalid'; problems: MailProblem[] };

/**
 * Composes a mail as `openId` and saves it as a draft in their mailbox, recording who may send it. Usable outside a
 * chat command (onboarding). Throws FeishuError on a failed call, and NeedsSignIn when the sign-in has lapsed.
 * `seed` makes the Message-ID a function of the triggering event.
 */
export async function createDraftFor(
  deps: DraftKeeping & { mailbox: MailboxPort; auth: MailAuth }, openId: string, input: DraftInput, seed?: string,
): Promise<CreatedDraft> {
  const sender = await senderOf(deps.auth, openId);
  if (sender === 'not_signed_in' || sender === 'no_mailbox') return { ok: false, reason: sender };
  const composed = await composeMail({ from: sender.from, ...input }, seed === undefined ? {} : { messageIdSeed: seed });
  if (!composed.ok) return { ok: false, reason: 'invalid', problems: composed.problems };
  const { draftId } = await deps.mailbox.createDraft(sender.from.address, emlOf(composed.mail), { as: asUser(openId) });
  const record: DraftRecord = {
    author: openId, mailbox: sender.from.address, fromName: sender.from.name ?? '',
    to: input.to.map((m) => m.address), cc: input.cc.map((m) => m.address), bcc: input.bcc.map((m) => m.address),
    subject: input.subject.trim(), body: input.body, size: composed.mail.size,
  };
  await writeDraft(deps, draftId, record);
  return { ok: true, draftId, mail: composed.mail, record };
}

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
export const TITLE_SEND_FAILED: Bilingual = { zh: '邮件未发送', en: 'Mail not sent' };

/** The card for a failed mail call; a lapsed sign-in gets the sign-in card (resuming the command with `resume` when given). */
export async function mailFailure(ctx: Ctx, auth: MailAuth, title: Bilingual, err: unknown, resume?: MailArgs): Promise<Card> {
  if (needsSignIn(err)) return signInFor(ctx, auth, resume, err);
  if (err instanceof FeishuError) return feishuErrorCard(title, err);
  throw err;
}

/** What the draft handlers need beyond the context: the sign-in, and the sealer for their records. */
interface DraftDeps {
  auth: MailAuth;
  sealer: Sealing;
}

async function draftCommand(ctx: Ctx & { kind: 'message' }, { auth, sealer }: DraftDeps, a: MailArgs): Promise<void> {
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
      await ctx.audit('mail.draft.create', ctx.sender.openId, 'error', String((err as { code?: unknown }).code ?? (err as Error).name));
      return mailFailure(ctx, auth, TITLE_DRAFT_FAILED, err, a);
    }
  }, undefined, sealer);
  await ctx.reply(done.outcome === 'busy' ? busyCard({ zh: '正在保存草稿', en: 'Saving the draft' }) : done.card);
}

const toast = (type: 'error' | 'info' | 'warning', zh: string, en: string): ActionResult => ({ toast: { type, text: { zh, en } } });

/** The draft, if the clicker may act on it; otherwise the toast that says why not (the card stays as it is). */
async function authorsDraft(ctx: ActionContext, sealer: Sealing, draftId: string): Promise<{ record: DraftRecord } | { refusal: ActionResult }> {
  const record = await readDraft({ kv: ctx.store, sealer }, draftId);
  if (!record) {
    return { refusal: toast('error', '找不到这份草稿（已发送、已丢弃或已过期），请重新 /draft', 'This draft is gone (sent, discarded or expired): run /draft again') };
  }
  if (record.author !== ctx.sender.openId) {
    await ctx.audit('mail.draft.action', draftId, 'refused', `not the author (${ctx.target?.key ?? ''})`);
    return { refusal: toast('error', '只有草稿的作者可以发送、编辑或丢弃它', 'Only the author of this draft can send, edit or discard it') };
  }
  return { record };
}

const sentCardOf = (r: DraftRecord, sent: { messageId?: string; threadId?: string }, note?: Bilingual): Card => mailSentCard({
  from: r.mailbox, recipients: [...r.to, ...r.cc, ...r.bcc], subject: r.subject,
  ...(sent.messageId ? { messageId: sent.messageId } : {}), ...(sent.threadId ? { threadId: sent.threadId } : {}), ...(note ? { note } : {}),
});

const RECONCILED: Bilingual = {
  zh: '飞书没有回复发送请求，但草稿已被发出（已核实），不会重复发送。',
  en: 'Feishu did not answer the send, but the draft went out (checked); it will not be sent again.',
};

/**
 * A sent or discarded draft's record goes: its fate's card is recorded by then (`once`), and a crash before this
 * line leaves a record whose next click replays that card.
 */
const forget = (ctx: ActionContext, draftId: string): Promise<void> => drafts.delete(ctx.store, draftId);

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
  const check = await authorsDraft(ctx, sealer, draftId);
  if ('refusal' in check) return check.refusal;
  const r = check.record;
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
    await forget(ctx, draftId);
    return { card: done.card };
  } catch (err) {
    await ctx.audit('mail.draft.send', r.mailbox, 'error', String((err as { code?: unknown }).code ?? (err as Error).name));
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
  const check = await authorsDraft(ctx, sealer, draftId);
  if ('refusal' in check) return check.refusal;
  const r = check.record;
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
    await forget(ctx, draftId);
    return { card: done.card };
  } catch (err) {
    return { card: await mailFailure(ctx, auth, { zh: '草稿未能丢弃', en: 'Could not discard the draft' }, err) };
  }
}

async function save(ctx: ActionContext, { auth, sealer }: DraftDeps, a: z.infer<typeof saveDraft.schema>): Promise<ActionResult> {
  const check = await authorsDraft(ctx, sealer, a.draftId);
  if ('refusal' in check) return check.refusal;
  const r = check.record;
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
  app.command('draft', draftSpec, (ctx, a) => draftCommand(ctx, deps, a));
  app.action(sendDraft, (ctx, { draftId }) => send(ctx, deps, draftId));
  app.action(discardDraft, (ctx, { draftId }) => discard(ctx, deps, draftId));
  app.action(saveDraft, (ctx, a) => save(ctx, deps, a));
  app.action(editDraft, async (ctx, { draftId }) => {
    const check = await authorsDraft(ctx, deps.sealer, draftId);
    if ('refusal' in check) return check.refusal;
    const r = check.record;
    return {
      card: draftEditCard({
        to: r.to.join(', '), cc: r.cc.join(', '), bcc: r.bcc.join(', '), subject: r.subject, body: r.body,
        save: saveDraft.button({ draftId }, { label: { zh: '保存并预览', en: 'Save and preview' }, style: 'primary' }),
        cancel: previewDraft.button({ draftId }, { label: { zh: '取消', en: 'Cancel' } }),
      }),
    };
  });
  app.action(previewDraft, async (ctx, { draftId }) => {
    const check = await authorsDraft(ctx, deps.sealer, draftId);
    if ('refusal' in check) return check.refusal;
    return { card: previewCard(draftId, check.record) };
  });
}

/** A dedupe_key for Feishu from the triggering event: a redelivery carries the same one. */
export const dedupeKeyOf = (ctx: Ctx): string => createHash('sha256').update(`mail-send|${ctx.dedupeKey}`).digest('hex').slice(0, 32);
