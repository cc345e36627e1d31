/**
 * Shared look of every status card (Feishu "卡片 JSON 2.0 结构").
 * Every text carries each language of the catalog (`i18n_content`, the default language in `content`): the
 * reader's Feishu client shows its own ("配置卡片多语言"). Builders hand the kit Texts, never one language's string.
 * User-provided text always goes through `escapeMd`, so names with `*` or `<at>` stay text.
 */
import {
  type ButtonElement,
  type Card,
  type CardButton,
  type FieldElement,
  type FormElement,
  type HrElement,
  type Localized,
  type MarkdownElement,
  type PlainText,
} from '../src/card.js';
import { cardLocales, compose, defaultLocale, joinTexts, same, t, type MessageKey, type Text } from '../src/i18n.js';

export type { Card, CardButton } from '../src/card.js';
export { compose, joinTexts, same, t, type Text } from '../src/i18n.js';

/** green: all done; orange: partly done (what was not is listed); red: failed; blue/wathet/indigo: information. */
export type HeaderColour = 'green' | 'orange' | 'red' | 'blue' | 'wathet' | 'indigo';

/** Feishu refuses interactive messages over 30 KB (Feishu "发送消息"). */
export const MAX_CARD_BYTES = 30 * 1024;
/** A 2.0 card holds at most 200 elements ("卡片 JSON 2.0 结构"). */
export const MAX_ELEMENTS = 200;
/** The most an input takes (max_length 1–1,000: Feishu card JSON 2.0, 输入框组件 / input component). */
export const INPUT_MAX_CHARS = 1000;
/** Longest single user-provided value we show; longer ones are cut with "…". */
const MAX_VALUE_CHARS = 500;

export function cardBytes(card: Card): number {
  return Buffer.byteLength(JSON.stringify(card), 'utf8');
}

// Card markdown understands HTML entities; numeric ones keep markdown and <at>/<font> tags from firing.
const MD_SPECIAL = /[\\`*_~[\]()<>#&]/g;

/** Makes user text literal inside a markdown element: one line, no markup, at most MAX_VALUE_CHARS. */
export function escapeMd(text: string): string {
  // Joining lines only shortens the text: what lies past a generous prefix would be clipped anyway.
  return escapeMdLines(clip(text.slice(0, MAX_VALUE_CHARS * 4).replace(/\s*[\r\n]+\s*/g, ' ')));
}

/** Makes a block of user text literal, keeping its line breaks; the caller bounds its length. */
export function escapeMdLines(text: string): string {
  return text.replace(MD_SPECIAL, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * User-written Markdown shown as Markdown (a mail body's preview): its line breaks, emphasis, lists, links and code
 * stay; what card markdown would do beyond text is neutralised: tags (`<at>` mentions, `<font>`), entities, images.
 */
export function userMarkdown(text: string): string {
  return text.replace(/[<&]/g, (c) => `&#${c.charCodeAt(0)};`).replace(/!\[/g, '&#33;[');
}

/** At most `max` characters, the cut marked with "…". */
export function clip(text: string, max = MAX_VALUE_CHARS): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export const grey = (text: string): string => `<font color='grey'>${text}</font>`;

/** A text made literal for markdown in each language (it may hold names and what users typed); a value escaped once. */
export const md = (w: Text | string): Text =>
  typeof w === 'string' ? same(escapeMd(w)) : compose((say) => escapeMd(say(w)));

/** The same, in grey. */
export const greyMd = (w: Text): Text => compose((say) => grey(escapeMd(say(w))));

/** "**Label**：value", the label in each language; `value` is markdown, already escaped (or a Text made with `md`). */
export const field = (label: Text | string, value: Text | string): Text =>
  compose((say) => `**${escapeMd(say(label))}**：${say(value)}`);

/**
 * Fields one per line, their values shown as they are (a name, an id, or a Text of ours in each language); a row whose
 * value is undefined is left out.
 */
export const fieldLines = (rows: readonly (readonly [Text, Text | string | undefined])[]): Text =>
  joinTexts(
    rows.flatMap(([label, value]) => (value === undefined ? [] : [field(label, md(value))])),
    '\n',
  );

/** "and N more", for a list cut short. */
export const andMore = (n: number): Text => t('card.andMore', { count: n });

/**
 * A bold heading with the total, the first `shown` lines (markdown, already escaped), then "and N more" if any
 * were left out.
 */
export function listBlock(label: Text, lines: readonly (Text | string)[], shown: number): Text {
  const rest = lines.length - shown;
  return compose((say) =>
    [
      `**${escapeMd(say(label))}**（${lines.length}）`,
      ...lines.slice(0, shown).map(say),
      ...(rest > 0 ? [grey(say(andMore(rest)))] : []),
    ].join('\n'),
  );
}

/** A Text as card JSON: the default language in `content`, every language in `i18n_content`. */
function localized(text: Text, max?: number): { content: string; i18n_content: Localized } {
  const fit = (s: string) => (max === undefined ? s : clip(s, max));
  return {
    content: fit(text[defaultLocale()]),
    i18n_content: Object.fromEntries(cardLocales().map((l) => [l, fit(text[l])])),
  };
}

/** A markdown component in every language; a string is the same in all. */
export function markdownElement(content: Text | string): MarkdownElement {
  return { tag: 'markdown', ...localized(typeof content === 'string' ? same(content) : content) };
}

/** A plain_text in every language, each at most `max` characters. */
export function plain(w: Text, max?: number): PlainText {
  return { tag: 'plain_text', ...localized(w, max) };
}

/** What the body and a form both hold. */
type Anywhere = MarkdownElement | HrElement | ButtonElement;

/**
 * Builds elements with unique, valid element_ids (`[A-Za-z][A-Za-z0-9_]*`, ≤ 20 chars). `Own` is what only this
 * level holds besides text, dividers and buttons: the body holds forms, a form holds its fields.
 */
abstract class ElementList<Own extends FormElement | FieldElement> {
  private readonly list: (Anywhere | Own)[] = [];

  /** `prefix` keeps ids unique when elements nest (a form's inputs). */
  constructor(protected readonly prefix = 'el') {}

  /** Markdown in every language; a string is the same in all (names, what users typed, code). */
  markdown(content: Text | string): this {
    return this.push(markdownElement(content));
  }

  divider(): this {
    return this.push({ tag: 'hr' });
  }

  /** A button that opens a page (no callback): sign-in links. */
  link(label: Text, url: string, style: 'primary' | 'default' = 'primary'): this {
    return this.push({
      tag: 'button',
      type: style,
      text: plain(label, 100),
      behaviors: [{ type: 'open_url', default_url: url, pc_url: url, ios_url: url, android_url: url }],
    });
  }

  button(b: CardButton, o: { submit?: boolean } = {}): this {
    const button: ButtonElement = {
      tag: 'button',
      type: b.style ?? 'default',
      text: plain(b.label, 100),
      behaviors: [{ type: 'callback', value: b.value }],
      ...(o.submit ? { form_action_type: 'submit', name: `submit_${this.list.length + 1}` } : {}),
    };
    if (b.confirm) {
      button.confirm = { title: plain(t('card.confirmTitle')), text: plain(b.confirm) };
    }
    return this.push(button);
  }

  get size(): number {
    return this.list.length;
  }

  toArray(): (Anywhere | Own)[] {
    return this.list;
  }

  push(el: Anywhere | Own): this {
    this.list.push({ ...el, element_id: `${this.prefix}_${this.list.length + 1}` });
    return this;
  }
}

/** A card's body. */
export class Elements extends ElementList<FormElement> {
  /**
   * A form: `build` adds its fields and its submit button (`submit` marks it); the click sends every field's value
   * back as `form_value` (Feishu "卡片回传交互回调").
   */
  form(name: string, build: (f: FormElements) => void): this {
    const inner = new FormElements(`${this.prefix}f${this.size + 1}`);
    build(inner);
    return this.push({ tag: 'form', name, elements: inner.toArray() });
  }
}

/** A form's elements: its fields besides text and buttons. */
export class FormElements extends ElementList<FieldElement> {
  /** A text input; its value arrives in the submit click's `form_value` under `name`. */
  /** `value` is what the user wrote before (kept as it is); `suggested` a text of ours, in each language. */
  input(
    name: string,
    label: Text,
    value: string | Text,
    o: { multiline?: boolean; maxLength?: number; placeholder?: Text } = {},
  ): this {
    return this.push({
      tag: 'input',
      name,
      label: plain(label),
      ...(typeof value === 'string'
        ? { default_value: value }
        : {
            default_value: value[defaultLocale()],
            i18n_default_value: Object.fromEntries(cardLocales().map((l) => [l, value[l]])),
          }),
      ...(o.placeholder ? { placeholder: plain(o.placeholder, 100) } : {}),
      ...(o.multiline ? { input_type: 'multiline_text', rows: 6, auto_resize: true } : {}),
      ...(o.maxLength ? { max_length: o.maxLength } : {}),
    });
  }
}

/** Set while `fitting` measures candidate cards: those are measured as built, not cut to size. */
let measuring = 0;

/**
 * Wraps elements in the 2.0 envelope; every card is shared (`update_multi` is the only value 2.0 allows).
 * Every builder ends here, so this is where a card is held to Feishu's 30 KB: see `cutToSize`.
 */
export function envelope(title: Text, colour: HeaderColour, body: Elements): Card {
  const card: Card = {
    schema: '2.0',
    config: {
      update_multi: true,
      width_mode: 'fill',
      summary: localized(title, 100),
      locales: cardLocales(),
    },
    header: { title: plain(title, 100), template: colour },
    body: { elements: body.toArray() },
  };
  return measuring || cardBytes(card) <= MAX_CARD_BYTES ? card : cutToSize(card, body);
}

export const CUT_NOTE: MessageKey = 'card.cutNote';

/**
 * A card over 30 KB keeps its structure and loses the ends of its longest texts: every markdown and plain_text
 * longer than a common length is cut to it (the longest length that fits), and a note says so. Values a click
 * sends back (input defaults, callback values) and links are never cut: a builder whose inputs alone are too big
 * has to leave them out itself (draft-edit.ts does).
 */
function cutToSize(card: Card, body: Elements): Card {
  const texts: { holder: Record<string, unknown>; key: string; text: string }[] = [];
  const add = (holder: Record<string, unknown>, key: string) => {
    const text = holder[key];
    if (typeof text === 'string') texts.push({ holder, key, text });
  };
  const collect = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(collect);
    if (!node || typeof node !== 'object') return;
    const o = node as Record<string, unknown>;
    if (o.tag === 'markdown' || o.tag === 'plain_text') {
      add(o, 'content');
      const i18n = o.i18n_content;
      if (i18n && typeof i18n === 'object')
        for (const lang of Object.keys(i18n)) add(i18n as Record<string, unknown>, lang);
    }
    for (const [k, v] of Object.entries(o)) if (k !== 'behaviors') collect(v);
  };
  collect(card);
  // toArray() is the live list, so the note lands on the card, with the next element_id.
  body.markdown(greyMd(t(CUT_NOTE)));
  const cutAll = (max: number) => {
    for (const t of texts) t.holder[t.key] = cutText(t.text, max);
    return cardBytes(card) <= MAX_CARD_BYTES;
  };
  let lo = 0;
  // No text longer than the card's limit can fit: the search starts there.
  let hi = Math.min(
    MAX_CARD_BYTES,
    texts.reduce((longest, t) => Math.max(longest, t.text.length), 0),
  );
  if (!cutAll(lo))
    throw new Error(
      `card is ${cardBytes(card)} bytes with every text cut: its inputs or buttons alone exceed ${MAX_CARD_BYTES}`,
    );
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (cutAll(mid)) lo = mid;
    else hi = mid - 1;
  }
  cutAll(lo);
  return card;
}

/** The first `max` UTF-16 units, never ending inside a surrogate pair, an `&#…;` entity or a `<…>` tag. */
function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text
    .slice(0, max)
    .replace(/[\uD800-\uDBFF]$/, '')
    .replace(/&#?\d*$|<[^>]*$/, '')}…`;
}

/**
 * Renders `total` items but shows only as many as fit the size and element limits; `build(shown)` must end
 * the list with `andMore(total - shown)` when shown < total. Binary search: the size grows with `shown`.
 * When even no item fits, `envelope` cuts the fixed text.
 */
export function fitting(total: number, build: (shown: number) => Card, maxShown = total): Card {
  /** The card showing `shown` items if it fits (as `build` would return it then), else undefined. */
  const fitted = (shown: number): Card | undefined => {
    measuring += 1;
    try {
      const card = build(shown);
      return cardBytes(card) <= MAX_CARD_BYTES && elementCount(card) <= MAX_ELEMENTS ? card : undefined;
    } finally {
      measuring -= 1;
    }
  };
  let lo = 0;
  let hi = Math.min(total, maxShown);
  // Most cards fit whole: the card measured is the one sent, built once.
  const whole = fitted(hi);
  if (whole) return whole;
  let best: Card | undefined;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    const card = fitted(mid);
    if (card) [lo, best] = [mid, card];
    else hi = mid - 1;
  }
  return best ?? build(lo);
}

function elementCount(card: Card): number {
  return card.body.elements.length;
}
