import {
  Elements,
  envelope,
  escapeMd,
  escapeMdLines,
  fitting,
  grey,
  inline,
  INPUT_MAX_CHARS,
  twoLines,
  type Bilingual,
  type Card,
  type CardButton,
} from './kit.js';

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

type FieldName = 'to' | 'cc' | 'bcc' | 'subject' | 'body';

interface Field {
  name: FieldName;
  label: Bilingual;
  value: string;
  multiline?: boolean;
}

/** How much of a field too long to edit the card shows. */
const SHOWN_CHARS = 2_000;

const count = (n: number) => n.toLocaleString('en-US');

/**
 * A field too long for the card is shown, not edited: it stays out of the form, so saving leaves it as it is
 * (the save action keeps every field the form does not send).
 */
function shownOnly(f: Field): string {
  const chars = [...f.value];
  const shown = Math.min(chars.length, SHOWN_CHARS);
  const head = `**${escapeMd(inline(f.label))}**`;
  const why = twoLines({
    zh: `共 ${count(chars.length)} 字，太长，无法在卡片里编辑（卡片输入框最多 ${count(INPUT_MAX_CHARS)} 字）；下面只显示前 ${count(shown)} 字。草稿保留全部内容，保存只修改表单里的其他项。要修改它，请丢弃这份草稿，再发送 /draft 重新写。`,
    en: `${count(chars.length)} characters, too long to edit on a card (a card's input takes ${count(INPUT_MAX_CHARS)}); only the first ${count(shown)} are shown below. The draft keeps all of it, and saving changes only the other fields. To change it, discard this draft and send /draft again.`,
  });
  const text = chars.slice(0, shown).join('');
  return `${head}\n${why}\n${f.multiline ? escapeMdLines(text) : escapeMd(text)}`;
}

/**
 * A form to change a draft's recipients, subject and body; saving updates the draft and shows its new preview.
 * As many fields as fit 30 KB are editable, shortest first; the others (in practice a very long body) are shown only.
 */
export function draftEditCard(o: DraftEditInput): Card {
  const fields: Field[] = [
    { name: 'to', label: { zh: '收件人', en: 'To' }, value: o.to },
    { name: 'cc', label: { zh: '抄送', en: 'Cc' }, value: o.cc },
    { name: 'bcc', label: { zh: '密送', en: 'Bcc' }, value: o.bcc },
    { name: 'subject', label: { zh: '主题', en: 'Subject' }, value: o.subject },
    { name: 'body', label: { zh: '正文（Markdown）', en: 'Body (Markdown)' }, value: o.body, multiline: true },
  ];
  // A value longer than an input takes can only be shown; of the rest, as many as fit 30 KB, shortest first.
  const bySize = fields
    .filter((f) => [...f.value].length <= INPUT_MAX_CHARS)
    .sort((a, b) => Buffer.byteLength(a.value) - Buffer.byteLength(b.value));
  return fitting(bySize.length, (editable) => {
    const edited = new Set(bySize.slice(0, editable).map((f) => f.name));
    const els = new Elements();
    els.form('draft_edit', (form) => {
      for (const f of fields) {
        if (edited.has(f.name))
          form.input(f.name, f.label, f.value, {
            maxLength: INPUT_MAX_CHARS,
            ...(f.multiline ? { multiline: true } : {}),
          });
        else form.markdown(shownOnly(f));
      }
      form.button(o.save, { submit: true });
    });
    els.button(o.cancel);
    els.markdown(grey('多个地址用逗号分隔 · Separate several addresses with commas'));
    return envelope({ zh: '编辑草稿', en: 'Edit the draft' }, 'blue', els);
  });
}
