import { describe, expect, it } from 'vitest';
import {
  catalog,
  compose,
  LOCALES,
  pickLocale,
  renderByI18next,
  same,
  setDefaultLocale,
  t,
  textSchema,
  type Locale,
} from '../src/i18n.js';

/** Every message of a catalog by its dotted key, plural forms (`_one`, `_other`) folded into one key. */
function messages(locale: Locale): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const walk = (node: unknown, path: string[]): void => {
    if (typeof node === 'string') {
      const key = path.join('.').replace(/_(zero|one|two|few|many|other)$/, '');
      out.set(key, [...(out.get(key) ?? []), node]);
      return;
    }
    expect(node, `${locale} ${path.join('.')}`).toBeTypeOf('object');
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) walk(v, [...path, k]);
  };
  walk(catalog(locale), []);
  return out;
}

const variables = (texts: string[]): string[] =>
  [...new Set(texts.flatMap((s) => [...s.matchAll(/\{\{\s*([\w.]+)\s*\}\}/g)].map((m) => m[1] ?? '')))].sort();

const HAN = /\p{Script=Han}/u;
const KANA = /[\p{Script=Hiragana}\p{Script=Katakana}]/u;
/** Two English words in a row: a sentence or label that needs translating (ids and commands are one word). */
const ENGLISH = /\b[A-Za-z]{2,}\s+[A-Za-z]{2,}\b/;

describe('the message catalog', () => {
  const all = Object.fromEntries(LOCALES.map((l) => [l, messages(l)])) as Record<Locale, Map<string, string[]>>;

  it('has every key in every language', () => {
    const keys = (l: Locale) => [...all[l].keys()].sort();
    expect(keys('zh_cn').length).toBeGreaterThan(0);
    expect(keys('zh_cn')).toEqual(keys('en_us'));
    expect(keys('ja_jp')).toEqual(keys('en_us'));
  });

  it('uses the same variables in each language of a message', () => {
    const differ: string[] = [];
    for (const [key, en] of all.en_us)
      for (const l of ['zh_cn', 'ja_jp'] as const)
        if (variables(all[l].get(key) ?? []).join() !== variables(en).join())
          differ.push(`${l} ${key}: ${variables(all[l].get(key) ?? []).join()} vs en_us ${variables(en).join()}`);
    expect(differ).toEqual([]);
  });

  it('has no empty message and translates every sentence: Chinese in zh_cn, Japanese in ja_jp', () => {
    const wrong: string[] = [];
    for (const [key, en] of all.en_us) {
      const zh = all.zh_cn.get(key) ?? [];
      const ja = all.ja_jp.get(key) ?? [];
      for (const s of [...en, ...zh, ...ja]) if (!s.trim()) wrong.push(`${key}: empty`);
      if (en.some((s) => HAN.test(s) || KANA.test(s))) wrong.push(`en_us ${key}: not English`);
      const words = en.some((s) => ENGLISH.test(s.replace(/\{\{[^}]*\}\}/g, '')));
      if (words && !zh.every((s) => HAN.test(s))) wrong.push(`zh_cn ${key}: not Chinese`);
      if (words && !ja.every((s) => KANA.test(s) || HAN.test(s))) wrong.push(`ja_jp ${key}: not Japanese`);
      if (words && ja.some((s, i) => s === zh[i] && !KANA.test(s))) wrong.push(`ja_jp ${key}: the Chinese copied`);
    }
    expect(wrong).toEqual([]);
  });

  it('gives plural forms where English needs them: one and other', () => {
    const raw = JSON.stringify(catalog('en_us'));
    for (const [, form] of raw.matchAll(/"(\w+)_one"/g)) expect(raw, form).toContain(`"${form}_other"`);
  });
});

describe('t', () => {
  it('renders a message in every language with its variables and plural form', () => {
    expect(t('card.andMore', { count: 1 })).toEqual({ zh_cn: '还有 1 项', en_us: 'and 1 more', ja_jp: 'ほか 1 件' });
    expect(t('card.andMore', { count: 7 }).en_us).toBe('and 7 more');
  });

  it('renders a Text variable in each language in turn, and data as it is', () => {
    const label = t('card.problems');
    const line = compose((say) => `${say(label)}: ${say('Ada*')}`);
    expect(line).toEqual({ zh_cn: '问题: Ada*', en_us: 'Problems: Ada*', ja_jp: '問題: Ada*' });
    expect(same('x@example.com')).toEqual({ zh_cn: 'x@example.com', en_us: 'x@example.com', ja_jp: 'x@example.com' });
  });

  it('renders every message of the catalog exactly as i18next does, given all, some or none of its variables', () => {
    const all = LOCALES.map(messages);
    let compared = 0;
    for (const [key, texts] of messages('en_us')) {
      const names = variables(all.flatMap((m) => m.get(key) ?? texts));
      const given: Record<string, string | number | ReturnType<typeof same>>[] = [
        {},
        // A Text in each language, a number, and values that look like markup or placeholders themselves.
        Object.fromEntries(
          names.map((n, i) => [
            n,
            i % 3 === 0
              ? { zh_cn: `甲${n}`, en_us: `A ${n}`, ja_jp: `あ${n}` }
              : i % 3 === 1
                ? 42
                : `{{${n}}} $t(x) **${n}**`,
          ]),
        ),
        Object.fromEntries(names.slice(1).map((n) => [n, `v-${n}`])),
      ];
      for (const vars of given) {
        const mk = key as Parameters<typeof t>[0];
        const ours = Object.keys(vars).length ? t(mk, vars) : t(mk);
        for (const l of LOCALES)
          expect(ours[l], `${l} ${key} ${JSON.stringify(vars)}`).toBe(renderByI18next(mk, vars, l));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(2000);
  });

  it('reads texts stored before Japanese: Chinese and English kept, English for Japanese', () => {
    expect(textSchema.parse({ zh: '群聊已创建', en: 'Chat created' })).toEqual({
      zh_cn: '群聊已创建',
      en_us: 'Chat created',
      ja_jp: 'Chat created',
    });
    expect(textSchema.safeParse({ zh_cn: 'x', en_us: 'y' }).success).toBe(false);
  });
});

describe('pickLocale', () => {
  it("picks the browser's first language the catalog has, by quality", () => {
    expect(pickLocale('ja,en-US;q=0.8')).toBe('ja_jp');
    expect(pickLocale('fr-FR,en;q=0.9,zh;q=0.5')).toBe('en_us');
    expect(pickLocale('zh-TW')).toBe('zh_cn');
    expect(pickLocale('de;q=1,ja;q=0')).toBe('zh_cn');
    expect(pickLocale(['en_us'])).toBe('en_us');
  });

  it('falls back to the configured default', () => {
    try {
      setDefaultLocale('en_us');
      expect(pickLocale(undefined)).toBe('en_us');
      expect(pickLocale('ko-KR')).toBe('en_us');
    } finally {
      setDefaultLocale('zh_cn');
    }
  });
});
