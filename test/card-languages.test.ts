/**
 * Every card builder, read the way each reader's Feishu shows it ("配置卡片多语言"): each text carries zh_cn, en_us and
 * ja_jp, the default language in `content`, and no text holds two languages side by side.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { cardBytes, MAX_CARD_BYTES, type Card } from '../cards/index.js';
import { defineAction } from '../src/actions.js';
import { checkContent } from '../src/emulator/cards.js';
import { catalog, LOCALES, t } from '../src/i18n.js';
import { cardBuilders, cardCases } from './helpers/card-cases.js';
import { textIn } from './helpers/card-text.js';

/** Values as users give them, in ASCII: any Chinese or Japanese on a card then comes from the catalog. */
const SAMPLE = cardCases({
  text: (tag) => `${tag}-sample`,
  words: t('card.nextStep'),
  item: t('card.example'),
  many: (n) => Array.from({ length: Math.min(n, 3) }, (_, i) => `value-${i}`),
  button: defineAction('test.sample', z.object({ n: z.number() })).button(
    { n: 1 },
    { label: t('card.example'), style: 'primary', confirm: t('card.nextStep') },
  ),
  error: {
    code: 1234006,
    logId: 'log-1',
    explain: () => ({ problem: t('card.problems'), nextStep: t('card.nextStep') }),
  },
});

type Localized = Record<string, unknown>;

/** Every text component of a card: plain_text and markdown (titles, bodies, buttons, confirms, labels, options). */
function texts(card: Card): { path: string; content: unknown; i18n: unknown }[] {
  const out: { path: string; content: unknown; i18n: unknown }[] = [];
  const walk = (node: unknown, path: string): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${path}[${i}]`));
    if (!node || typeof node !== 'object') return;
    const o = node as Localized;
    if (o.tag === 'plain_text' || o.tag === 'markdown') out.push({ path, content: o.content, i18n: o.i18n_content });
    for (const [k, v] of Object.entries(o)) if (k !== 'behaviors') walk(v, `${path}.${k}`);
  };
  walk(card, 'card');
  return out;
}

const HAN_OR_KANA = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;

/** Every message of a catalog, its plural forms included. */
function messages(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  return Object.values(node as Localized).flatMap(messages);
}

/**
 * The English of the catalog a Chinese or Japanese text must not hold: what is left of each en_us message around its
 * variables, where it is at least two words and not the same in the other languages (commands, option names).
 */
const ENGLISH = (() => {
  const others = new Set(
    [...messages(catalog('zh_cn')), ...messages(catalog('ja_jp'))].join('\n').split(/\{\{[^}]*\}\}|\n/),
  );
  return [
    ...new Set(
      messages(catalog('en_us'))
        .flatMap((m) => m.split(/\{\{[^}]*\}\}/))
        .map((f) => f.replace(/[*：:（()）.,;]/g, ' ').trim())
        .filter((f) => /[A-Za-z]{2,}\s+[A-Za-z]{2,}/.test(f) && ![...others].some((o) => o.includes(f))),
    ),
  ];
})();
const englishIn = (text: string): string[] => ENGLISH.filter((f) => text.includes(f));

describe('every card in its reader’s language', () => {
  it('knows the English to look for', () => {
    expect(ENGLISH).toContain('Next step');
    expect(englishIn('**下一步** · Next step')).toEqual(['Next step']);
  });

  it('has a sample for every card builder', () => {
    expect(Object.keys(SAMPLE).sort()).toEqual(cardBuilders().sort());
  });

  it.each(Object.keys(SAMPLE))('%s carries every text in zh_cn, en_us and ja_jp, one language each', (name) => {
    const card = SAMPLE[name]!();
    expect(card.config.locales).toEqual([...LOCALES]);
    const found = texts(card);
    expect(found.length).toBeGreaterThan(0);
    for (const { path, content, i18n } of found) {
      expect(Object.keys((i18n ?? {}) as Localized).sort(), path).toEqual([...LOCALES].sort());
      const each = i18n as Record<(typeof LOCALES)[number], string>;
      for (const l of LOCALES) expect(each[l], `${path} ${l}`).not.toBe('');
      // A client without the reader's language shows content: the default language's text.
      expect(content, path).toBe(each.zh_cn);
      expect(each.en_us, `${path} en_us`).not.toMatch(HAN_OR_KANA);
      // No English beside the Chinese or the Japanese ("中文 · English", a grey English line beneath).
      expect(englishIn(each.zh_cn), `${path} zh_cn`).toEqual([]);
      expect(englishIn(each.ja_jp), `${path} ja_jp`).toEqual([]);
    }
    // The title is ours: every language has its own.
    const title = card.header?.title.i18n_content ?? {};
    if (HAN_OR_KANA.test(title.zh_cn ?? '')) {
      expect(title.en_us).not.toBe(title.zh_cn);
      expect(title.ja_jp).not.toBe(title.en_us);
    }
    for (const l of LOCALES) expect(textIn(card, l)).not.toBe('');
    expect(checkContent('interactive', JSON.stringify(card))).toMatchObject({ ok: true });
    expect(cardBytes(card)).toBeLessThanOrEqual(MAX_CARD_BYTES);
  });

  it('gives inputs a value of ours in every language and keeps what a user typed as it is', () => {
    const inputs: Localized[] = [];
    for (const build of Object.values(SAMPLE)) {
      const walk = (n: unknown): void => {
        if (Array.isArray(n)) return n.forEach(walk);
        if (!n || typeof n !== 'object') return;
        if ((n as Localized).tag === 'input') inputs.push(n as Localized);
        Object.values(n).forEach(walk);
      };
      walk(build());
    }
    expect(inputs.length).toBeGreaterThan(0);
    for (const input of inputs) {
      if (input.i18n_default_value === undefined) continue;
      expect(Object.keys(input.i18n_default_value as Localized).sort()).toEqual([...LOCALES].sort());
      expect(input.default_value).toBe((input.i18n_default_value as Localized).zh_cn);
    }
  });
});
