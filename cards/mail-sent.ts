import { fieldLines, Elements, envelope, greyMd, md, t, type Card, type Text } from './kit.js';

export interface MailSentInput {
  from: string;
  recipients: string[];
  subject: string;
  /** Absent when the send was confirmed by reconciling (Feishu said it was already sent) rather than by its answer. */
  messageId?: string;
  threadId?: string;
  note?: Text;
}

/** A mail's From, Recipients and Subject lines, then `more` (rows without a value are left out). */
export function mailLines(
  o: { from: string; recipients: string[]; subject: string },
  more: [Text, string | undefined][] = [],
): Text {
  const rows: [Text, string | undefined][] = [
    [t('mail.field.from'), o.from],
    [t('mail.field.recipients'), o.recipients.join(', ')],
    [t('mail.field.subject'), o.subject],
    ...more,
  ];
  return fieldLines(rows.map(([label, v]) => [label, v || undefined]));
}

/** A mail that went out: final, no buttons, so nothing on it can send again. */
export function mailSentCard(o: MailSentInput): Card {
  const els = new Elements();
  // Rows Feishu left empty are left out.
  els.markdown(
    mailLines(o, [
      [t('mail.field.messageId'), o.messageId],
      [t('mail.field.threadId'), o.threadId],
    ]),
  );
  if (o.note) els.markdown(md(o.note));
  els.markdown(greyMd(t('mail.sentOnce')));
  return envelope(t('mail.sentTitle'), 'green', els);
}
