/**
 * /mail send to=… subject=… <body>: sends at once as the signed-in user, with the /draft composer. The dedupe_key
 * and the Message-ID derive from the triggering event, and the result is recorded per command, so a redelivered
 * command never sends twice; the gateway sends one mail at a time per mailbox (1236006).
 */
import { errorCard, mailSentCard, type Card } from '../cards/index.js';
import type { App } from '../src/app.js';
import type { Sealing } from '../src/auth/seal.js';
import type { CommandSpec } from '../src/commands/spec.js';
import type { CommandContext } from '../src/context.js';
import { errorCodeOf, isAlreadySent } from '../src/feishu/errors.js';
import { asUser } from '../src/feishu/ports.js';
import { composeMail } from '../src/mail/compose.js';
import {
  bodyText,
  dedupeKeyOf,
  emlOf,
  mailArgs,
  mailFailure,
  NO_MAILBOX,
  resolveRecipients,
  senderOf,
  TITLE_SEND_FAILED,
  type MailArgs,
} from './mail-compose.js';
import { once } from '../src/effects/once.js';
import { busyCard } from '../src/effects/progress.js';
import { signInFor, type MailAuth } from './sign-in.js';
import { holdMail } from './mail-hold.js';
import { t } from '../src/i18n.js';
import { deriveKey } from '../src/keys.js';
import type { Ctx } from '../src/effects/once.js';

export const mailSendSpec: CommandSpec<typeof mailArgs> = {
  summary: t('mail.summary'),
  usage: '/mail send to=地址|@某人 [cc=…] [bcc=…] subject=主题 <正文 body>',
  examples: ['/mail send to=lina@feishu-ops.example subject="会议改期" 明天的会改到 **下午三点**。'],
  args: mailArgs,
  rest: 'body',
  bodyLines: true,
  mentions: 'people',
};

async function mailSend(ctx: CommandContext, auth: MailAuth, sealer: Sealing, a: MailArgs): Promise<Card | void> {
  const resolved = await resolveRecipients(ctx.gateway.directory, a);
  if (!resolved.ok)
    return errorCard({ title: TITLE_SEND_FAILED, problems: resolved.problems, example: mailSendSpec.examples[0] });
  const r = resolved.recipients;
  const subject = (a.subject ?? '').trim();
  const body = bodyText(ctx.text, a.body ?? []);
  const sender = await senderOf(auth, ctx.sender.openId);
  if (sender === 'not_signed_in') return signInFor(ctx, auth, a);
  if (sender === 'no_mailbox') return errorCard({ title: TITLE_SEND_FAILED, problems: [NO_MAILBOX] });
  const composed = await composeMail(
    { from: sender.from, ...r, subject: a.subject ?? '', body },
    { messageIdSeed: ctx.dedupeKey },
  );
  if (!composed.ok)
    return errorCard({
      title: TITLE_SEND_FAILED,
      problems: composed.problems,
      example: mailSendSpec.examples[0],
    });
  const mail = {
    from: sender.from.address,
    recipients: [...r.to, ...r.cc, ...r.bcc].map((m) => m.address),
    subject,
    what: { kind: 'mail' as const, raw: emlOf(composed.mail).toString('utf8'), dedupeKey: dedupeKeyOf(ctx) },
  };
  const seconds = ctx.config.app.mail.undoSendSeconds;
  if (seconds === 0) return sendComposed(ctx, auth, mail, a);
  // The held card is posted by the hold itself (its release replaces it): nothing more to answer.
  await holdMail(ctx, sealer, deriveKey('hold', ctx.dedupeKey), mail, seconds);
}

/** Sends a composed mail as its author; its dedupe_key makes a repeat (a retry, a release run again) send nothing. */
export async function sendComposed(
  ctx: Ctx,
  auth: MailAuth,
  m: { from: string; recipients: string[]; subject: string; what: { raw: string; dedupeKey: string } },
  resume?: MailArgs,
): Promise<Card> {
  const card = (sent: { messageId?: string; threadId?: string }) =>
    mailSentCard({ from: m.from, recipients: m.recipients, subject: m.subject, ...sent });
  try {
    const sent = await ctx.gateway.mailbox.sendMail(
      m.from,
      { raw: m.what.raw, dedupe_key: m.what.dedupeKey },
      { as: asUser(ctx.sender.openId) },
    );
    await ctx.audit('mail.message.send', m.from, 'ok', sent.messageId);
    return card({ messageId: sent.messageId, ...(sent.threadId ? { threadId: sent.threadId } : {}) });
  } catch (err) {
    // This dedupe_key was sent already: by our own unanswered attempt, or by an earlier delivery.
    if (isAlreadySent(err)) return card({});
    await ctx.audit('mail.message.send', m.from, 'error', errorCodeOf(err));
    return mailFailure(ctx, auth, TITLE_SEND_FAILED, err, resume);
  }
}

export function registerMail(app: App, auth: MailAuth, sealer: Sealing): void {
  // The answer shows the recipients: sealed in the store.
  const busy = () => busyCard(t('mail.sending'));
  app.command('mail send', mailSendSpec, once('mail-send', { busy, sealer }), (ctx, a) =>
    mailSend(ctx, auth, sealer, a),
  );
}
