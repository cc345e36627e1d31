/**
 * A draft's preview card and the buttons on it (Send, confirmed; Edit; Discard; and the Edit form's Save and Cancel),
 * and offering a draft made outside a command (onboarding's welcome mail) with that card.
 */
import { z } from 'zod';
import { draftPreviewCard, type Bilingual, type Card } from '../cards/index.js';
import { defineAction } from '../src/actions.js';
import { type ImPort } from '../src/feishu/ports.js';
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
  progress: { zh: '正在发送邮件', en: 'Sending the mail' },
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
  { form: ['to', 'cc', 'bcc', 'subject', 'body'], progress: { zh: '正在更新草稿', en: 'Updating the draft' } },
);

export function previewCard(draftId: string, r: DraftRecord, note?: Bilingual): Card {
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
          label: { zh: '发送', en: 'Send' },
          style: 'primary',
          confirm: {
            zh: `确定发送「${r.subject}」给 ${[...r.to, ...r.cc, ...r.bcc].length} 位收件人？`,
            en: `Send "${r.subject}" to ${[...r.to, ...r.cc, ...r.bcc].length} recipient(s)?`,
          },
        },
      ),
      editDraft.button({ draftId }, { label: { zh: '编辑', en: 'Edit' } }),
      discardDraft.button(
        { draftId },
        {
          label: { zh: '丢弃', en: 'Discard' },
          style: 'danger',
          confirm: { zh: '确定丢弃这份草稿？', en: 'Discard this draft?' },
        },
      ),
    ],
    ...(note ? { note } : {}),
  });
}
