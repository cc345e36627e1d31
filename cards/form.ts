/**
 * A card that asks before acting: fields pre-filled with what the bot would do, and a submit button (an action
 * ref's button) that sends them back as form values. Nothing happens until it is submitted.
 */
import type { FieldElement, MarkdownElement, PlainText } from '../src/card.js';
import {
  clip,
  Elements,
  envelope,
  escapeMd,
  grey,
  inline,
  INPUT_MAX_CHARS,
  twoLines,
  type Bilingual,
  type Card,
  type CardButton,
} from './kit.js';

export type FormField =
  | { kind: 'input'; name: string; label: Bilingual; value?: string; required?: boolean; maxLength?: number }
  | { kind: 'select'; name: string; label: Bilingual; options: { value: string; label: Bilingual }[]; value?: string }
  /** Feishu's person picker (multi_select_person): the value comes back as an array of open_ids. */
  | { kind: 'people'; name: string; label: Bilingual; required?: boolean };

export interface FormCardInput {
  title: Bilingual;
  summary?: Bilingual;
  fields: FormField[];
  submit: CardButton;
  note?: Bilingual;
}

const plain = (b: Bilingual): PlainText => ({
  tag: 'plain_text',
  content: inline(b),
  i18n_content: { zh_cn: b.zh, en_us: b.en },
});

function fieldElements(f: FormField): (MarkdownElement | FieldElement)[] {
  switch (f.kind) {
    case 'input': {
      // A suggestion the user checks before submitting: no longer than the input takes.
      const max = Math.min(f.maxLength ?? INPUT_MAX_CHARS, INPUT_MAX_CHARS);
      return [
        {
          tag: 'input',
          name: f.name,
          label: plain(f.label),
          required: f.required ?? false,
          ...(f.value !== undefined ? { default_value: clip(f.value, max) } : {}),
          max_length: max,
        },
      ];
    }
    case 'select':
      return [
        { tag: 'markdown', content: `**${escapeMd(inline(f.label))}**` },
        {
          tag: 'select_static',
          name: f.name,
          required: true,
          options: f.options.map((o) => ({ text: plain(o.label), value: o.value })),
          ...(f.value ? { initial_option: f.value } : {}),
        },
      ];
    case 'people':
      return [
        { tag: 'markdown', content: `**${escapeMd(inline(f.label))}**` },
        {
          tag: 'multi_select_person',
          name: f.name,
          required: f.required ?? false,
          placeholder: plain({ zh: '选择成员', en: 'Choose people' }),
        },
      ];
  }
}

export function formCard(o: FormCardInput): Card {
  const els = new Elements();
  if (o.summary) els.markdown(twoLines(o.summary));
  els.form('form', (f) => {
    for (const field of o.fields.flatMap(fieldElements)) f.push(field);
    f.button(o.submit, { submit: true });
  });
  if (o.note) els.markdown(grey(escapeMd(inline(o.note))));
  return envelope(o.title, 'blue', els);
}
