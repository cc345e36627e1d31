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

/** A mail that went out: final, no buttons, so nothing on it can send again. */
export function mailSentCard(o: MailSentInput): Card {
  const els = new Elements();
  const line = (label: Bilingual, value: string) => `**${escapeMd(inline(label))}**：${escapeMd(value)}`;
  els.markdown(
    [
      line({ zh: '发件人', en: 'From' }, o.from),
      line({ zh: '收件人', en: 'Recipients' }, o.recipients.join(', ')),
      line({ zh: '主题', en: 'Subject' }, o.subject),
      // Rows Feishu left empty are left out.
      ...(o.messageId ? [line({ zh: '邮件 ID', en: 'Message ID' }, o.messageId)] : []),
      ...(o.threadId ? [line({ zh: '会话 ID', en: 'Thread ID' }, o.threadId)] : []),
    ].join('\n'),
  );
  if (o.note) els.markdown(twoLines(o.note));
  els.markdown(grey('邮件只会发送一次 · The mail is sent once only'));
  return envelope({ zh: '邮件已发送', en: 'Mail sent' }, 'green', els);
}
