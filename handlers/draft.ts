/**
 * /draft to=… [cc=…] [bcc=…] subject=… <body>: composes the mail as the signed-in user (From = their enterprise
 * mailbox), saves it as a draft in their mailbox and answers with a preview card: Send (confirmed), Edit, Discard.
 *
 * The buttons are in draft-preview.ts and what they do in draft-actions.ts. The bot's record of a draft holds its body and Bcc: it is sealed like the sign-in tokens (AES-256-GCM under
 * TOKEN_ENCRYPTION_KEY) before it reaches the store, and deleted once the draft is sent or discarded.
 */
import { draftEditCard, errorCard, type Card } from '../cards/index.js';
import type { App } from '../src/app.js';
import type { Sealing } from '../src/auth/seal.js';
import type { CommandSpec } from '../src/commands/spec.js';
import type { CommandContext } from '../src/context.js';
import { once } from '../src/effects/once.js';
import { busyCard } from '../src/effects/progress.js';
import { errorCodeOf } from '../src/feishu/errors.js';
import { t } from '../src/i18n.js';
import { createDraftFor, type DraftInput } from './draft-records.js';
import { bodyText, mailArgs, mailFailure, NO_MAILBOX, resolveRecipients, type MailArgs } from './mail-compose.js';
import { signInFor, type MailAuth } from './sign-in.js';
import { discard, draftAuthorOnly, save, send, theDraft } from './draft-actions.js';
import { editDraft, previewCard, previewDraft, saveDraft, sendDraft, discardDraft } from './draft-preview.js';

export const draftSpec: CommandSpec<typeof mailArgs> = {
  summary: t('draft.summary'),
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

const TITLE_DRAFT_FAILED = t('draft.saveFailed');
/** What the draft handlers need beyond the context: the sign-in, and the sealer for their records. */
export interface DraftDeps {
  auth: MailAuth;
  sealer: Sealing;
}

async function draftCommand(ctx: CommandContext, { auth, sealer }: DraftDeps, a: MailArgs): Promise<Card> {
  const resolved = await resolveRecipients(ctx.gateway.directory, a);
  if (!resolved.ok)
    return errorCard({ title: TITLE_DRAFT_FAILED, problems: resolved.problems, example: draftSpec.examples[0] });
  const input: DraftInput = {
    ...resolved.recipients,
    subject: a.subject ?? '',
    body: bodyText(ctx.text, a.body ?? []),
  };
  try {
    const created = await createDraftFor(
      { mailbox: ctx.gateway.mailbox, kv: ctx.store, sealer, auth },
      ctx.sender.openId,
      input,
      ctx.dedupeKey,
    );
    if (created.ok) {
      await ctx.audit('mail.draft.create', created.record.mailbox, 'ok', created.draftId);
      return previewCard(created.draftId, created.record);
    }
    if (created.reason === 'not_signed_in') return signInFor(ctx, auth, a);
    if (created.reason === 'no_mailbox') return errorCard({ title: TITLE_DRAFT_FAILED, problems: [NO_MAILBOX] });
    return errorCard({
      title: TITLE_DRAFT_FAILED,
      problems: created.problems,
      example: draftSpec.examples[0],
    });
  } catch (err) {
    await ctx.audit('mail.draft.create', ctx.sender.openId, 'error', errorCodeOf(err));
    return mailFailure(ctx, auth, TITLE_DRAFT_FAILED, err, a);
  }
}

export function registerDraft(app: App, deps: DraftDeps): void {
  const author = draftAuthorOnly(deps.sealer);
  // The preview shows the mail: its remembered copy is sealed.
  const busy = () => busyCard(t('draft.saving'));
  app.command('draft', draftSpec, once('draft', { busy, sealer: deps.sealer }), (ctx, a) => draftCommand(ctx, deps, a));
  app.action(sendDraft, author, (ctx, { draftId }) => send(ctx, deps, draftId));
  app.action(discardDraft, author, (ctx, { draftId }) => discard(ctx, deps, draftId));
  app.action(saveDraft, author, (ctx, a) => save(ctx, deps, a));
  app.action(editDraft, author, async (ctx, { draftId }) => {
    const r = theDraft.get(ctx);
    return {
      card: draftEditCard({
        to: r.to.join(', '),
        cc: r.cc.join(', '),
        bcc: r.bcc.join(', '),
        subject: r.subject,
        body: r.body,
        save: saveDraft.button({ draftId }, { label: t('draft.saveAndPreview'), style: 'primary' }),
        cancel: previewDraft.button({ draftId }, { label: t('draft.cancel') }),
      }),
    };
  });
  app.action(previewDraft, author, async (ctx, { draftId }) => ({ card: previewCard(draftId, theDraft.get(ctx)) }));
}
