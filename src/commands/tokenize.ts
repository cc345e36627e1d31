/**
 * Splits command text into tokens. Pure and total: every input yields tokens or a typed error, never a throw.
 *
 * Rules (what people type in Feishu, often with a Chinese IME on):
 * - whitespace is any Unicode space, including the full-width space U+3000;
 * - quotes group words: "…", '…', “…”, ‘…’, 「…」, 『…』 — at the start of a word or right after `=`;
 *   inside "…" a backslash escapes the next character;
 * - `key=value` (also `key＝value`, `key="quoted value"`, `key=“中文 值”`) is an option;
 * - `--flag` / `——flag` (the IME turns `--` into an em-dash pair) is a flag, `--key=value` an option;
 * - `@_user_N` / `@_all` (Feishu's mention placeholders) are mention tokens, even when glued to the next word.
 */

export type Token =
  | { kind: 'word'; text: string; quoted: boolean }
  | { kind: 'option'; key: string; value: string; quoted: boolean }
  | { kind: 'flag'; name: string }
  | { kind: 'mention'; key: string };

export type TokenizeError = { kind: 'unterminated_quote'; quote: string; close: string; index: number };

export type TokenizeResult = { ok: true; tokens: Token[] } | { ok: false; error: TokenizeError };

const QUOTES: Record<string, string> = { '"': '"', "'": "'", '“': '”', '‘': '’', '「': '」', '『': '』' };
const EQUALS = new Set(['=', '＝']);
const OPTION_KEY = /^[A-Za-z][A-Za-z0-9_.-]*$/;
const FLAG_PREFIX = /^(?:--|——|－－)/;
const MENTION = /^@_(?:user_\d+|all)/;
const SPACE = /\s/u;

export function tokenize(text: string): TokenizeResult {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    if (SPACE.test(text[i]!)) {
      i++;
      continue;
    }
    const mention = MENTION.exec(text.slice(i, i + 24));
    if (mention) {
      tokens.push({ kind: 'mention', key: mention[0] });
      i += mention[0].length;
      continue;
    }
    // One word: plain characters and quoted segments up to the next unquoted space.
    let raw = '';
    let quoted = false;
    let equalsAt = -1;
    while (i < text.length && !SPACE.test(text[i]!)) {
      const ch = text[i]!;
      const close = QUOTES[ch];
      if (close !== undefined && (raw === '' || raw.length - 1 === equalsAt)) {
        const end = findClose(text, i + 1, close, ch === '"');
        if (end === -1) return { ok: false, error: { kind: 'unterminated_quote', quote: ch, close, index: i } };
        raw += unescape(text.slice(i + 1, end), ch === '"');
        quoted = true;
        i = end + 1;
        continue;
      }
      if (EQUALS.has(ch) && equalsAt === -1 && !quoted) equalsAt = raw.length;
      raw += ch;
      i++;
    }
    tokens.push(classify(raw, quoted, equalsAt));
  }
  return { ok: true, tokens };
}

function findClose(text: string, from: number, close: string, escapes: boolean): number {
  for (let j = from; j < text.length; j++) {
    if (escapes && text[j] === '\\') j++;
    else if (text[j] === close) return j;
  }
  return -1;
}

const unescape = (s: string, escapes: boolean): string => (escapes ? s.replace(/\\(.)/gsu, '$1') : s);

function classify(raw: string, quoted: boolean, equalsAt: number): Token {
  const flag = FLAG_PREFIX.exec(raw);
  // A quoted part may only be an option's value: "--x" or "a=b" in quotes stays a word.
  const keyPart = equalsAt === -1 ? raw : raw.slice(0, equalsAt);
  if (flag && !(quoted && equalsAt === -1)) {
    const name = keyPart.slice(flag[0].length);
    if (OPTION_KEY.test(name)) {
      return equalsAt === -1
        ? { kind: 'flag', name }
        : { kind: 'option', key: name, value: raw.slice(equalsAt + 1), quoted };
    }
  }
  if (equalsAt > 0 && OPTION_KEY.test(keyPart)) {
    return { kind: 'option', key: keyPart, value: raw.slice(equalsAt + 1), quoted };
  }
  return { kind: 'word', text: raw, quoted };
}
