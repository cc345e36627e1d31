import { Elements, envelope, grey, type Card, type CardButton } from './kit.js';

export interface DraftEditInput {
  to: string;
  cc: string;
  bcc: string;
  subject: string;
  body: string;
  /** Submits the form: the inputs arrive as the click's form values. */
  save: CardButton;
  /** Back to the preview without changes. */
  cancel: CardButton;
}

/** A form to change a draft's recipients, subject and body; saving updates the draft and shows its new preview. */
export function draftEditCard(o: DraftEditInput): Card {
  const els = new Elements();
  els.form('draft_edit', (f) => {
    f.input('to', { zh: '收件人', en: 'To' }, o.to, { maxLength: 5000 });
    f.input('cc', { zh: '抄送', en: 'Cc' }, o.cc, { maxLength: 5000 });
    f.input('bcc', { zh: '密送', en: 'Bcc' }, o.bcc, { maxLength: 5000 });
    f.input('subject', { zh: '主题', en: 'Subject' }, o.subject, { maxLength: 1000 });
    f.input('body', { zh: '正文（Markdown）', en: 'Body (Markdown)' }, o.body, { multiline: true, maxLength: 100_000 });
    f.button(o.save, { submit: true });
  });
  els.button(o.cancel);
  els.markdown(grey('多个地址用逗号分隔 · Separate several addresses with commas'));
  return envelope({ zh: '编辑草稿', en: 'Edit the draft' }, 'blue', els);
}
