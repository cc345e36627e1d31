/**
 * Every text the bot writes, in every language it speaks. Messages live in the catalog, one JSON file per language
 * under locales/ (i18next resources: variables `{{name}}`, plurals `key_one`/`key_other` chosen by `count`); `t()`
 * renders one message in all of them at once, as a `Text`. Cards carry a Text whole (`i18n_content`) and the reader's
 * Feishu client shows its own language ("配置卡片多语言", https://open.feishu.cn/document/feishu-cards/configure-multi-language-content);
 * where only one language can go (a browser page, a log line) `pick` chooses one.
 *
 * Texts are plain text: a card escapes them where it puts them in markdown, so a name with `*` stays a name.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import i18next, { type i18n as I18n } from 'i18next';
import { z } from 'zod';
import type enUs from '../locales/en_us.json';
import { packageRoot } from './package-root.js';

/** The languages of the catalog, in Feishu's spelling (card `i18n_content` keys, toast `i18n`). */
export const LOCALES = ['zh_cn', 'en_us', 'ja_jp'] as const;
export type Locale = (typeof LOCALES)[number];
export const localeSchema = z.enum(LOCALES);

/** The 16 languages a Feishu card may carry: the emulator accepts these keys and no others. */
export { FEISHU_CARD_LOCALES } from './protocol/card-locales.js';

const current = z.object({ zh_cn: z.string(), en_us: z.string(), ja_jp: z.string() });
/** Records written before the catalog held Chinese and English only; Japanese readers get the English. */
const legacy = z
  .object({ zh: z.string(), en: z.string() })
  .transform((b) => ({ zh_cn: b.zh, en_us: b.en, ja_jp: b.en }));

/** One text in every language. Stored texts (journal, workflow steps) parse with this, old records included. */
export const textSchema = z.union([current, legacy]);
export type Text = z.infer<typeof current>;

// Message keys, typed from the English catalog: a misspelt key does not compile. Plural forms (`_one`, `_other`)
// are one key: i18next picks the form from `count`.
type Leaves<T> = {
  [K in keyof T & string]: T[K] extends string ? PluralBase<K> : `${K}.${Leaves<T[K]>}`;
}[keyof T & string];
type PluralBase<K extends string> = K extends `${infer B}_${'zero' | 'one' | 'two' | 'few' | 'many' | 'other'}` ? B : K;
export type MessageKey = Leaves<typeof enUs>;

/** A variable: a value shown as it is in every language, or a Text shown in the reader's. */
export type Vars = Readonly<Record<string, string | number | Text>>;

/** i18next takes BCP 47 tags (its plural rules come from Intl); Feishu spells them zh_cn. */
const TAG: Record<Locale, string> = { zh_cn: 'zh-CN', en_us: 'en-US', ja_jp: 'ja-JP' };

/** The catalog of one language as a plain object: what the catalog test reads. */
export function catalog(locale: Locale): Record<string, unknown> {
  return JSON.parse(readFileSync(join(packageRoot(import.meta.url), 'locales', `${locale}.json`), 'utf8')) as Record<
    string,
    unknown
  >;
}

let instance: I18n | undefined;
function i18n(): I18n {
  if (instance) return instance;
  const created = i18next.createInstance();
  void created.init({
    resources: Object.fromEntries(LOCALES.map((l) => [TAG[l], { translation: catalog(l) }])),
    lng: TAG.zh_cn,
    // A key missing in one language (the catalog test forbids it) shows the English rather than the key.
    fallbackLng: TAG.en_us,
    initAsync: false,
    // Texts are plain; cards escape them for markdown where they use them.
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  instance = created;
  return created;
}

const isText = (v: unknown): v is Text =>
  typeof v === 'object' && v !== null && LOCALES.every((l) => typeof (v as Record<string, unknown>)[l] === 'string');

/**
 * The longest variable a message takes whole: a card shows at most 30 KB, and i18next scans all of a value on every
 * render, so an enormous one (a pasted file) would cost seconds for text nobody sees.
 */
const MAX_VAR_CHARS = 8_000;
const bounded = (s: string): string => (s.length > MAX_VAR_CHARS ? `${s.slice(0, MAX_VAR_CHARS - 1)}…` : s);

/**
 * Messages without variables, rendered once: the catalog does not change while the process runs, and i18next's
 * resolution costs about 10 µs per language, on every label of every card.
 */
const plainMessages = new Map<MessageKey, Text>();

/** Renders a message of the catalog in every language; Text variables are rendered in each language in turn. */
export function t(key: MessageKey, vars?: Vars): Text {
  if (vars === undefined) {
    let text = plainMessages.get(key);
    if (!text) plainMessages.set(key, (text = render(key, {})));
    // A copy: a caller may add to or change the Text it was given.
    return { ...text };
  }
  return render(key, vars);
}

/** i18next's placeholder as the catalog writes it: `{{name}}` (no formats, no nesting). */
const PLACEHOLDER = /\{\{\s*(\w+)\s*\}\}/g;
/** Variables i18next reads as options (plural forms, context…): a message given one of these goes through i18next. */
const I18NEXT_OPTIONS = new Set(['count', 'context', 'ordinal', 'defaultValue', 'lng', 'lngs', 'ns', 'replace']);

let simple: Record<Locale, Map<string, string>> | undefined;
/**
 * The catalog's templates that i18next would only fill in: a string under its full key whose every `{{…}}` is a plain
 * variable. Plural forms, fallbacks to another language and anything fancier are left to i18next.
 */
function simpleTemplates(): Record<Locale, Map<string, string>> {
  if (simple) return simple;
  const flatten = (node: unknown, prefix: string, out: Map<string, string>): Map<string, string> => {
    if (typeof node === 'string') {
      if (!node.replace(PLACEHOLDER, '').includes('{{') && !node.includes('$t(')) out.set(prefix, node);
    } else if (typeof node === 'object' && node !== null)
      for (const [k, v] of Object.entries(node)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
    return out;
  };
  return (simple = Object.fromEntries(LOCALES.map((l) => [l, flatten(catalog(l), '', new Map())])) as Record<
    Locale,
    Map<string, string>
  >);
}

/**
 * Fills a simple template itself (what i18next would print, a few times faster: i18next resolves, interpolates and
 * post-processes each language anew, about 15 µs a message, and a card has dozens); anything else is i18next's.
 */
function render(key: MessageKey, vars: Vars): Text {
  const templates = Object.keys(vars).some((k) => I18NEXT_OPTIONS.has(k)) ? undefined : simpleTemplates();
  return each((locale) => {
    const local = localVars(vars, locale);
    const template = templates?.[locale].get(key);
    // A variable not given stays as written, as i18next leaves it.
    if (template !== undefined)
      return template.replace(PLACEHOLDER, (whole, name: string) =>
        Object.hasOwn(local, name) ? String(local[name]) : whole,
      );
    return byI18next(key, local, locale);
  });
}

/** The variables as one language shows them: a Text in that language, long values cut (see MAX_VAR_CHARS). */
function localVars(vars: Vars, locale: Locale): Record<string, string | number> {
  const local: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(vars)) {
    const value = isText(v) ? v[locale] : v;
    local[k] = typeof value === 'string' ? bounded(value) : value;
  }
  return local;
}

const byI18next = (key: MessageKey, local: Record<string, string | number>, locale: Locale): string =>
  i18n().t(key, { ...local, lng: TAG[locale] });

/** What i18next itself renders, for the test that holds `t` to it. */
export const renderByI18next = (key: MessageKey, vars: Vars, locale: Locale): string =>
  byI18next(key, localVars(vars, locale), locale);

/** The same string in every language: a name, an address, what someone typed. */
export const same = (s: string): Text => each(() => s);

/**
 * A text made of texts: `render` runs once per language, `say` giving that language's string of a Text (and a
 * plain string back as it is).
 */
export function compose(render: (say: (x: Text | string) => string, locale: Locale) => string): Text {
  return each((locale) => render((x) => (typeof x === 'string' ? x : x[locale]), locale));
}

/** Several problems as one text (a toast, a step's reason), each language with its own separator. */
export const joinProblems = (problems: readonly Text[]): Text =>
  compose((say) => problems.map(say).join(say(t('card.problemSeparator'))));

/** `texts` joined by `separator`, in each language. */
export const joinTexts = (texts: readonly Text[], separator: string): Text =>
  compose((say) => texts.map(say).join(separator));

/**
 * Items one after another as each language writes a list without a conjunction: "张伟、李娜", "Zhang Wei, Li Na"
 * (ids, commands and values, where "和" or "and" glued to the last would read as part of it).
 */
export const listOf = (items: readonly (string | Text)[]): Text =>
  each((locale) =>
    new Intl.ListFormat(TAG[locale], { type: 'conjunction', style: 'narrow' }).format(
      items.map((x) => (typeof x === 'string' ? x : x[locale])),
    ),
  );

/** Names as a sentence lists them: "A, B, and C", "A、B和C", "A、B、C". */
export const andList = (items: readonly (string | Text)[]): Text =>
  each((locale) =>
    new Intl.ListFormat(TAG[locale], { type: 'conjunction' }).format(
      items.map((x) => (typeof x === 'string' ? x : x[locale])),
    ),
  );

function each(f: (locale: Locale) => string): Text {
  return { zh_cn: f('zh_cn'), en_us: f('en_us'), ja_jp: f('ja_jp') };
}

let fallback: Locale = 'zh_cn';

/**
 * The language a card shows in `content`, where a client without the reader's language falls back to
 * (`i18n.defaultLocale` in app.config.json), and the one used where the reader's language is unknown.
 */
export function setDefaultLocale(locale: Locale): void {
  fallback = locale;
}
export const defaultLocale = (): Locale => fallback;

/** The catalog's languages with the default first: a card's `config.locales`. */
export const cardLocales = (): Locale[] => [fallback, ...LOCALES.filter((l) => l !== fallback)];

/**
 * The language to use where a Text cannot go whole (a web page): the first of `wanted` the catalog has (HTTP
 * Accept-Language tags such as `ja,en-US;q=0.8`, or Feishu codes such as `en_us`), else the default.
 */
export function pickLocale(wanted: string | readonly string[] | undefined): Locale {
  const tags =
    typeof wanted === 'string'
      ? wanted
          .split(',')
          .map((part) => {
            const [tag = '', ...params] = part.trim().split(';');
            const q = params.map((p) => /^q=([\d.]+)$/.exec(p.trim())?.[1]).find(Boolean);
            return { tag, q: q === undefined ? 1 : Number(q) };
          })
          .filter((x) => x.tag && x.q > 0)
          .sort((a, b) => b.q - a.q)
          .map((x) => x.tag)
      : (wanted ?? []);
  for (const tag of tags) {
    const lower = tag.toLowerCase().replace('-', '_');
    const exact = LOCALES.find((l) => l === lower);
    if (exact) return exact;
    const language = LOCALES.find((l) => l.startsWith(`${lower.split('_')[0]}_`));
    // zh_tw and zh_hk readers read Traditional Chinese: Simplified is closer for them than English.
    if (language) return language;
  }
  return fallback;
}

/** One language of a Text. */
export const pick = (text: Text, locale: Locale = fallback): string => text[locale];
