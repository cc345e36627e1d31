/** Reading cards as a person would: every language at once, or one reader's language. */

/** Every text in a card JSON, joined: enough to assert what a person would read. */
export function cardText(card: unknown): string {
  const out: string[] = [];
  const walk = (n: unknown): void => {
    if (typeof n === 'string') out.push(n);
    else if (Array.isArray(n)) n.forEach(walk);
    else if (n && typeof n === 'object') Object.entries(n).forEach(([k, v]) => k !== 'tag' && walk(v));
  };
  walk(card);
  return out.join('\n');
}

/**
 * The texts a reader whose Feishu speaks `locale` sees, joined: each text's `i18n_content[locale]` (else its
 * `content`, as the client falls back), toasts' `i18n`, buttons and inputs included.
 */
export function textIn(card: unknown, locale: 'zh_cn' | 'en_us' | 'ja_jp'): string {
  const out: string[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    const o = n as Record<string, unknown>;
    const i18n = (o.i18n_content ?? o.i18n ?? o.i18n_default_value) as Record<string, unknown> | undefined;
    const own = i18n?.[locale] ?? o.content ?? o.default_value;
    if (typeof own === 'string') out.push(own);
    for (const [k, v] of Object.entries(o))
      if (!['content', 'i18n_content', 'i18n', 'default_value', 'i18n_default_value', 'tag', 'locales'].includes(k))
        walk(v);
  };
  walk(card);
  return out.join('\n');
}
