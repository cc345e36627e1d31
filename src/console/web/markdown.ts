/**
 * Card markdown → safe DOM: markdown-it (the library the mail composer uses too) for the markdown, DOMPurify for the
 * HTML it lets through (card markdown carries Feishu's own tags, so raw HTML must pass the parser), then Feishu's own
 * tags: <font color>, <at id>, <text_tag color>. Colours come from a fixed table, never from the card's text.
 */
import DOMPurify from 'dompurify';
import MarkdownIt from 'markdown-it';

const COLOURS: Record<string, string> = {
  grey: 'var(--grey)',
  gray: 'var(--grey)',
  red: 'var(--red)',
  green: 'var(--green)',
  blue: 'var(--blue)',
  orange: 'var(--orange)',
  yellow: 'var(--yellow)',
  purple: 'var(--purple)',
  violet: 'var(--purple)',
  indigo: 'var(--indigo)',
  wathet: 'var(--wathet)',
  turquoise: 'var(--turquoise)',
  carmine: 'var(--red)',
  neutral: 'var(--grey)',
  default: 'inherit',
};

const md = new MarkdownIt({ html: true, breaks: true });

const colour = (name: string | null | undefined): string => COLOURS[name ?? ''] ?? 'inherit';

/** `users`: open_id → name, for <at id=ou_…>. */
export function renderMarkdown(content: string, users: ReadonlyMap<string, string>): HTMLElement {
  const html = md.render(content);
  const fragment = DOMPurify.sanitize(html, {
    ADD_TAGS: ['font', 'at', 'text_tag'],
    ADD_ATTR: ['color', 'user_id', 'open_id', 'email'],
    FORBID_TAGS: ['style', 'img', 'form', 'input', 'iframe'],
    RETURN_DOM_FRAGMENT: true,
  });
  for (const font of fragment.querySelectorAll('font')) {
    const span = document.createElement('span');
    span.style.color = colour(font.getAttribute('color'));
    span.append(...font.childNodes);
    font.replaceWith(span);
  }
  for (const at of fragment.querySelectorAll('at')) {
    const id =
      at.getAttribute('id') ??
      at.getAttribute('open_id') ??
      at.getAttribute('user_id') ??
      at.getAttribute('email') ??
      '';
    const span = document.createElement('span');
    span.className = 'at';
    span.textContent = id === 'all' ? '@所有人' : `@${users.get(id) ?? (at.textContent || id)}`;
    at.replaceWith(span);
  }
  for (const tag of fragment.querySelectorAll('text_tag')) {
    const span = document.createElement('span');
    span.className = 'text-tag';
    span.style.color = colour(tag.getAttribute('color'));
    span.append(...tag.childNodes);
    tag.replaceWith(span);
  }
  for (const a of fragment.querySelectorAll('a')) {
    a.setAttribute('target', '_blank');
    a.setAttribute('rel', 'noopener noreferrer');
  }
  const div = document.createElement('div');
  div.className = 'md';
  div.append(fragment);
  return div;
}
