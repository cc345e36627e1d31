import { Elements, envelope, escapeMd, grey, inline, twoLines, type Bilingual, type Card } from './kit.js';

export interface MailSentInput {
  from: string;
  recipients: string[];
  subject: string;
  /** Absent when the send was confirmed by reconciling (Feishu said it was already sent) rather than by its answer. */
  messageId?: string;
  threadId?: string;
  note?: Bilingual;
}

/** A mail's From, Recipients and Subject lines, then `more` (rows without a value are left out). */
export function mailLines(
  o: { from: string; recipients: string[]; subject: string },
  more: [Bilingual, string | undefined][] = [],
): string {
  const rows: [Bilingual, string | undefined][] = [
    [{ zh: '发件人', en: 'From' }, o.from],
    [{ zh: '收件人', en: 'Recipients' }, o.recipients.join(', ')],
    [{ zh: '主题', en: 'Subject' }, o.subject],
    ...more,
  ];
  return rows.flatMap(([label, v]) => (v ? [`**${escapeMd(inline(label))}**：${escapeMd(v)}`] : [])).join('\n');
}

/** A mail that went out: final, no buttons, so nothing on it can send again. */
export function mailSentCard(o: MailSentInput): Card {
  const els = new Elements();
  // Rows Feishu left empty are left out.
  els.markdown(
    mailLines(o, [
      [{ zh: '邮件 ID', en: 'Message ID' }, o.messageId],
      [{ zh: '会话 ID', en: 'Thread ID' }, o.threadId],
    ]),
  );
  if (o.note) els.markdown(twoLines(o.note));
  els.markdown(grey('邮件只会发送一次 · The mail is sent once only'));
  return envelope({ zh: '邮件已发送', en: 'Mail sent' }, 'green', els);
}
