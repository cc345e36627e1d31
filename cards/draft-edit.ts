import {
  compose,
  Elements,
  envelope,
  escapeMd,
  escapeMdLines,
  fitting,
  greyMd,
  INPUT_MAX_CHARS,
  md,
  t,
  type Card,
  type CardButton,
  type Text,
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
  label: Text;
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
function shownOnly(f: Field): Text {
  const chars = [...f.value];
  const shown = Math.min(chars.length, SHOWN_CHARS);
  const why = md(
    t('draft.tooLongToEdit', { chars: count(chars.length), max: count(INPUT_MAX_CHARS), shown: count(shown) }),
  );
  const text = chars.slice(0, shown).join('');
  return compose(
    (say) => `**${say(md(f.label))}**\n${say(why)}\n${f.multiline ? escapeMdLines(text) : escapeMd(text)}`,
  );
}

/**
 * A form to change a draft's recipients, subject and body; saving updates the draft and shows its new preview.
 * As many fields as fit 30 KB are editable, shortest first; the others (in practice a very long body) are shown only.
 */
export function draftEditCard(o: DraftEditInput): Card {
  const fields: Field[] = [
    { name: 'to', label: t('mail.field.to'), value: o.to },
    { name: 'cc', label: t('mail.field.cc'), value: o.cc },
    { name: 'bcc', label: t('mail.field.bcc'), value: o.bcc },
    { name: 'subject', label: t('mail.field.subject'), value: o.subject },
    { name: 'body', label: t('mail.field.body'), value: o.body, multiline: true },
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
    els.markdown(greyMd(t('draft.addressHint')));
    return envelope(t('draft.editTitle'), 'blue', els);
  });
}
