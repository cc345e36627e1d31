import {
  Elements,
  envelope,
  escapeMd,
  grey,
  inline,
  twoLines,
  userMarkdown,
  type Bilingual,
  type Card,
  type CardButton,
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
  note?: Bilingual;
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
  const line = (label: Bilingual, value: string) => `**${escapeMd(inline(label))}**：${escapeMd(value)}`;
  els.markdown(
    [
      line({ zh: '发件人', en: 'From' }, o.from),
      ...(o.to.length ? [line({ zh: '收件人', en: 'To' }, o.to.join(', '))] : []),
      ...(o.cc.length ? [line({ zh: '抄送', en: 'Cc' }, o.cc.join(', '))] : []),
      ...(o.bcc.length ? [line({ zh: '密送', en: 'Bcc' }, o.bcc.join(', '))] : []),
      line({ zh: '主题', en: 'Subject' }, o.subject),
      line({ zh: '大小', en: 'Size' }, formatSize(o.size)),
    ].join('\n'),
  );
  els.divider();
  els.markdown(userMarkdown(excerptOf(o.excerpt)));
  for (const action of o.actions) els.button(action);
  if (o.note) els.markdown(twoLines(o.note));
  els.markdown(
    grey('草稿已保存，只有作者本人可以发送、编辑或丢弃 · Draft saved; only its author can send, edit or discard it'),
  );
  return envelope({ zh: `草稿：${o.subject}`, en: `Draft: ${o.subject}` }, 'blue', els);
}
