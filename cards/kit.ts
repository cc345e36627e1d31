/**
 * Shared look of every status card (card JSON 2.0, platform.md §3.2).
 * Chinese first, English second: titles read "中文 · English"; body lines put the English beneath the
 * Chinese in grey. User-provided text always goes through `escapeMd`, so names with `*` or `<at>` stay text.
 */
import type { Bilingual, Card, CardButton } from '../src/card.js';

export type { Bilingual, Card, CardButton } from '../src/card.js';

/** green: all done; orange: partly done (what was not is listed); red: failed; blue/wathet/indigo: information. */
export type HeaderColour = 'green' | 'orange' | 'red' | 'blue' | 'wathet' | 'indigo';
type Element = Record<string, unknown>;

/** Feishu refuses interactive messages over 30 KB (platform.md §3.3). */
export const MAX_CARD_BYTES = 30 * 1024;
/** A 2.0 card holds at most 200 elements (platform.md §3.2). */
export const MAX_ELEMENTS = 200;
/** Longest single user-provided value we show; longer ones are cut with "…". */
const MAX_VALUE_CHARS = 500;

export function cardBytes(card: Card): number {
  return Buffer.byteLength(JSON.stringify(card), 'utf8');
}

// Card markdown understands HTML entities; numeric ones keep markdown and <at>/<font> tags from firing.
const MD_SPECIAL = /[\\`*_~[\]()<>#&]/g;

/** Makes user text literal inside a markdown element: one line, no markup, at most MAX_VALUE_CHARS. */
export function escapeMd(text: string): string {
  return clip(text.replace(/\s*[\r\n]+\s*/g, ' ')).replace(MD_SPECIAL, (c) => `&#${c.charCodeAt(0)};`);
}

function clip(text: string, max = MAX_VALUE_CHARS): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** "中文 · English", for titles, labels and buttons. */
export const inline = (b: Bilingual): string => (b.zh === b.en ? b.zh : `${b.zh} · ${b.en}`);

/** Chinese line, English beneath in grey; both escaped, so callers may pass text containing user input. */
export const twoLines = (b: Bilingual): string =>
  b.zh === b.en ? escapeMd(b.zh) : `${escapeMd(b.zh)}\n${grey(escapeMd(b.en))}`;

export const grey = (text: string): string => `<font color='grey'>${text}</font>`;

/** "还有 N 项 · and N more". */
export const andMore = (n: number): string => `还有 ${n} 项 · and ${n} more`;

/** A bold bilingual heading with the total, the first `shown` entries, then "and N more" if any were left out. */
export function listBlock(label: Bilingual, lines: string[], shown: number): string {
  const head = `**${escapeMd(inline(label))}**（${lines.length}）`;
  const rest = lines.length - shown;
  return [head, ...lines.slice(0, shown), ...(rest > 0 ? [grey(andMore(rest))] : [])].join('\n');
}

/** Builds elements with unique, valid element_ids (`[A-Za-z][A-Za-z0-9_]*`, ≤ 20 chars). */
export class Elements {
  private readonly list: Element[] = [];

  /** `prefix` keeps ids unique when elements nest (a form's inputs). */
  constructor(private readonly prefix = 'el') {}

  markdown(content: string): this {
    return this.push({ tag: 'markdown', content });
  }

  divider(): this {
    return this.push({ tag: 'hr' });
  }

  /** A button that opens a page (no callback): sign-in links. */
  link(label: Bilingual, url: string, style: 'primary' | 'default' = 'primary'): this {
    return this.push({
      tag: 'button', type: style, text: { tag: 'plain_text', content: clip(inline(label), 100) },
      behaviors: [{ type: 'open_url', default_url: url, pc_url: url, ios_url: url, android_url: url }],
    });
  }

  /** A text input of a form; its value arrives in the submit click's `form_value` under `name`. */
  input(name: string, label: Bilingual, value: string, o: { multiline?: boolean; maxLength?: number } = {}): this {
    return this.push({
      tag: 'input', name, label: { tag: 'plain_text', content: inline(label) }, default_value: value,
      ...(o.multiline ? { input_type: 'multiline_text', rows: 6, auto_resize: true } : {}),
      ...(o.maxLength ? { max_length: o.maxLength } : {}),
    });
  }

  /**
   * A form: `build` adds its fields and its submit button (`submit` marks it); the click sends every field's value
   * back as `form_value` (platform.md §3.2).
   */
  form(name: string, build: (f: Elements) => void): this {
    const inner = new Elements(`${this.prefix}f${this.list.length + 1}`);
    build(inner);
    return this.push({ tag: 'form', name, elements: inner.toArray() });
  }

  button(b: CardButton, o: { submit?: boolean } = {}): this {
    const button: Element = {
      tag: 'button',
      type: b.style ?? 'default',
      text: { tag: 'plain_text', content: clip(inline(b.label), 100) },
      behaviors: [{ type: 'callback', value: b.value }],
      ...(o.submit ? { form_action_type: 'submit', name: `submit_${this.list.length + 1}` } : {}),
    };
    if (b.confirm) {
      button.confirm = {
        title: { tag: 'plain_text', content: '请确认 · Please confirm' },
        text: { tag: 'plain_text', content: `${b.confirm.zh}\n${b.confirm.en}` },
      };
    }
    return this.push(button);
  }

  get size(): number {
    return this.list.length;
  }

  toArray(): Element[] {
    return this.list;
  }

  push(el: Element): this {
    this.list.push({ ...el, element_id: `${this.prefix}_${this.list.length + 1}` });
    return this;
  }
}

/** Wraps elements in the 2.0 envelope; every card is shared (`update_multi` is the only value 2.0 allows). */
export function envelope(title: Bilingual, colour: HeaderColour, body: Elements): Card {
  return {
    schema: '2.0',
    config: { update_multi: true, width_mode: 'fill', summary: { content: clip(title.zh, 100) } },
    header: { title: { tag: 'plain_text', content: clip(inline(title), 100) }, template: colour },
    body: { elements: body.toArray() },
  };
}

/**
 * Renders `total` items but shows only as many as fit the size and element limits; `build(shown)` must end
 * the list with `andMore(total - shown)` when shown < total. Binary search: the size grows with `shown`.
 */
export function fitting(total: number, build: (shown: number) => Card, maxShown = total): Card {
  const fits = (card: Card) => cardBytes(card) <= MAX_CARD_BYTES && elementCount(card) <= MAX_ELEMENTS;
  let lo = 0;
  let hi = Math.min(total, maxShown);
  if (fits(build(hi))) return build(hi);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(build(mid))) lo = mid;
    else hi = mid - 1;
  }
  const card = build(lo);
  if (!fits(card)) throw new Error(`card exceeds ${MAX_CARD_BYTES} bytes even with no list items: shorten the fixed text`);
  return card;
}

function elementCount(card: Card): number {
  const body = card.body as { elements: unknown[] };
  return body.elements.length;
}
