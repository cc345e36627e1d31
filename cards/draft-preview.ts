import {
  fieldLines,
  Elements,
  envelope,
  greyMd,
  md,
  t,
  userMarkdown,
  type Card,
  type CardButton,
  type Text,
} from './kit.js';

export interface DraftPreviewInput {
  from: string;
  to: string[];
  cc: string[];
  bcc: string[];
  subject: string;
  /** The body as written (Markdown); the card shows its start. */
  excerpt: string;
  /** EML bytes. */
  size: number;
  /** Send, Edit, Discard. */
  actions: CardButton[];
  note?: Text;
}

/** The start of the body the preview shows: enough to recognise the mail, well within a card. */
const EXCERPT_CHARS = 1000;
const EXCERPT_LINES = 30;

export const formatSize = (bytes: number): string =>
  bytes < 1024
    ? `${bytes} B`
    : bytes < 1024 * 1024
      ? `${(bytes / 1024).toFixed(1)} KB`
      : `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/**
 * The body's start, as the author wrote it (Markdown, line breaks kept), cut at a line or character bound with "…";
 * a code block the cut leaves open is closed, so the rest of the card does not render as code.
 */
function excerptOf(body: string): string {
  const whole = body.replace(/\r\n?/g, '\n');
  let text = whole.split('\n').slice(0, EXCERPT_LINES).join('\n');
  if ([...text].length > EXCERPT_CHARS) text = [...text].slice(0, EXCERPT_CHARS - 1).join('');
  if (text === whole) return text;
  const fences = text.split('\n').filter((l) => /^\s*(```|~~~)/.test(l));
  return `${text}…${fences.length % 2 ? `\n${fences.at(-1)!.trim().slice(0, 3)}` : ''}`;
}

/** A saved draft, before anything is sent: who it goes to, what it says, and what the author can do with it. */
export function draftPreviewCard(o: DraftPreviewInput): Card {
  const els = new Elements();
  const rows: [Text, string][] = [
    [t('mail.field.from'), o.from],
    ...(['to', 'cc', 'bcc'] as const)
      .filter((field) => o[field].length)
      .map((field): [Text, string] => [t(`mail.field.${field}`), o[field].join(', ')]),
    [t('mail.field.subject'), o.subject],
    [t('mail.field.size'), formatSize(o.size)],
  ];
  els.markdown(fieldLines(rows));
  els.divider();
  els.markdown(userMarkdown(excerptOf(o.excerpt)));
  for (const action of o.actions) els.button(action);
  if (o.note) els.markdown(md(o.note));
  els.markdown(greyMd(t('draft.savedNote')));
  return envelope(t('draft.previewTitle', { subject: o.subject }), 'blue', els);
}
