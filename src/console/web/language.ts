/**
 * The reader's language, as a Feishu client has it ("配置卡片多语言"): each emulated user's client language is kept
 * by the emulator, and every card text and toast the console shows is picked for it.
 */

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * One text in `language`: its version in that language; else `content` (what a client without the reader's language
 * shows: the sender's default language); else the first language of `locales` (the card's `config.locales`) the
 * text has; else any it has.
 */
export function inLanguage(i18n: unknown, content: unknown, language: string, locales: readonly string[] = []): string {
  const versions = isObj(i18n) ? i18n : {};
  const own = versions[language];
  if (typeof own === 'string') return own;
  if (typeof content === 'string' && content) return content;
  const first = [...locales, ...Object.keys(versions)].map((l) => versions[l]).find((v) => typeof v === 'string');
  return typeof first === 'string' ? first : '';
}

/** A language's name in itself (中文, English, 日本語), for the picker; the code when the browser has no name for it. */
export function languageName(code: string): string {
  const language = code.split('_')[0] ?? code;
  try {
    return new Intl.DisplayNames([language], { type: 'language' }).of(language) ?? code;
  } catch {
    return code;
  }
}
