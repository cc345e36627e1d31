/**
 * A draft's preview card and the buttons on it (Send, confirmed; Edit; Discard; and the Edit form's Save and Cancel),
 * and offering a draft made outside a command (onboarding's welcome mail) with that card.
 */
import { z } from 'zod';
import { draftPreviewCard, type Card } from '../cards/index.js';
import { defineAction } from '../src/actions.js';
import { type ImPort } from '../src/feishu/ports.js';
import { t, type Text } from '../src/i18n.js';
import { writeDraft, type DraftKeeping, type DraftRecord } from './draft-records.js';

/**
 * A draft made in `author`'s mailbox outside a command (onboarding's welcome mail): recorded like a /draft, so the
 * preview card it is offered with lets its author Send, Edit or Discard it. `uuid` makes the offer once per effect.
 */
export async function offerDraft(
  deps: DraftKeeping & { im: ImPort },
  draftId: string,
  draft: DraftRecord,
  uuid: string,
): Promise<void> {
  await writeDraft(deps, draftId, draft);
  await deps.im.sendCard({ openId: draft.author }, previewCard(draftId, draft), { uuid });
}

export const sendDraft = defineAction('draft.send', z.object({ draftId: z.string().min(1) }), {
  progress: t('mail.sending'),
});
export const editDraft = defineAction('draft.edit', z.object({ draftId: z.string().min(1) }));
export const previewDraft = defineAction('draft.preview', z.object({ draftId: z.string().min(1) }));
export const discardDraft = defineAction('draft.discard', z.object({ draftId: z.string().min(1) }));
const formText = z.string().max(100_000).optional();
export const saveDraft = defineAction(
  'draft.save',
  z.object({
    draftId: z.string().min(1),
    to: formText,
    cc: formText,
    bcc: formText,
    subject: formText,
    body: formText,
  }),
  { form: ['to', 'cc', 'bcc', 'subject', 'body'], progress: t('draft.updating') },
);

export function previewCard(draftId: string, r: DraftRecord, note?: Text): Card {
  return draftPreviewCard({
    from: r.fromName ? `${r.fromName} <${r.mailbox}>` : r.mailbox,
    to: r.to,
    cc: r.cc,
    bcc: r.bcc,
    subject: r.subject,
    excerpt: r.body,
    size: r.size,
    actions: [
      sendDraft.button(
        { draftId },
        {
          label: t('draft.send'),
          style: 'primary',
          confirm: t('draft.sendConfirm', { subject: r.subject, count: r.to.length + r.cc.length + r.bcc.length }),
        },
      ),
      editDraft.button({ draftId }, { label: t('draft.edit') }),
      discardDraft.button(
        { draftId },
        { label: t('draft.discard'), style: 'danger', confirm: t('draft.discardConfirm') },
      ),
    ],
    ...(note ? { note } : {}),
  });
}
