/**
 * A card that asks before acting: fields pre-filled with what the bot would do, and a submit button (an action
 * ref's button) that sends them back as form values. Nothing happens until it is submitted.
 */
import type { FieldElement, MarkdownElement } from '../src/card.js';
import {
  clip,
  compose,
  Elements,
  envelope,
  greyMd,
  INPUT_MAX_CHARS,
  markdownElement,
  md,
  plain,
  t,
  type Card,
  type CardButton,
  type Text,
} from './kit.js';

export type FormField =
  | { kind: 'input'; name: string; label: Text; value?: string; required?: boolean; maxLength?: number }
  | { kind: 'select'; name: string; label: Text; options: { value: string; label: Text }[]; value?: string }
  /** Feishu's person picker (multi_select_person): the value comes back as an array of open_ids. */
  | { kind: 'people'; name: string; label: Text; required?: boolean };

export interface FormCardInput {
  title: Text;
  summary?: Text;
  fields: FormField[];
  submit: CardButton;
  note?: Text;
}

/** A bold label above a field whose component has none. */
const heading = (label: Text): MarkdownElement => markdownElement(compose((say) => `**${say(md(label))}**`));

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
        heading(f.label),
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
        heading(f.label),
        {
          tag: 'multi_select_person',
          name: f.name,
          required: f.required ?? false,
          placeholder: plain(t('card.choosePeople')),
        },
      ];
  }
}

export function formCard(o: FormCardInput): Card {
  const els = new Elements();
  if (o.summary) els.markdown(md(o.summary));
  els.form('form', (f) => {
    for (const field of o.fields.flatMap(fieldElements)) f.push(field);
    f.button(o.submit, { submit: true });
  });
  if (o.note) els.markdown(greyMd(o.note));
  return envelope(o.title, 'blue', els);
}
