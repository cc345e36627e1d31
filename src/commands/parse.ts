/**
 * Message text (+ the message's mentions and the bot's open_id) → a ParsedCommand or a typed parse error.
 * Pure and total: never throws (a property test feeds it arbitrary strings and mention lists).
 *
 * - Every mention of the bot itself is dropped, wherever it is; other `@_user_N` become user references.
 * - Only text that starts with `/` (or the full-width `／`) after that is a command; names are case-insensitive.
 * - In a p2p chat, a bare `help`, `帮助`, `ヘルプ`, `?` or `？` also means `/help`: people new to the bot type exactly that.
 */
import { t, type Text } from '../i18n.js';
import { tokenize, type Token } from './tokenize.js';

export interface UserRef {
  openId: string;
  name: string;
}

/** One entry of `message.mentions` in im.message.receive_v1. */
export interface Mention {
  key: string;
  id?: { open_id?: string; union_id?: string; user_id?: string };
  name?: string;
}

export type OptionValue = string | UserRef;

export interface ParsedCommand {
  name: string;
  sub?: string;
  positionals: string[];
  options: Record<string, OptionValue>;
  flags: string[];
  /** Users mentioned as arguments, in order, each once. */
  mentions: UserRef[];
}

export type ParseError =
  | { kind: 'empty' }
  /** Plain chat: no leading slash. */
  | { kind: 'not_command' }
  | { kind: 'missing_name' }
  | { kind: 'unterminated_quote'; quote: string; close: string; index: number }
  | { kind: 'duplicate_option'; key: string }
  | { kind: 'too_long'; length: number; limit: number };

export type ParseResult = { ok: true; command: ParsedCommand } | { ok: false; error: ParseError };

export interface ParseOptions {
  mentions?: readonly Mention[];
  botOpenId?: string;
  chatType?: string;
  /** Registered subcommands of a command: a first positional matching one (case-insensitively) becomes `sub`. */
  subcommands?: (name: string) => readonly string[];
  /**
   * Commands whose lines after the first are a verbatim body (a mail's): only their first line is parsed, so a body
   * line such as `cc=…` or one with an unmatched quote stays body text.
   */
  bodyLines?: (name: string) => boolean;
}

/** Longer than any sensible command, far below Feishu's 150 KB text limit. */
export const MAX_COMMAND_LENGTH = 10_000;
const P2P_HELP = new Set(['help', '帮助', 'ヘルプ', '?', '？']);
const SLASH = /^[/／]/;

export function parseCommand(text: string, opts: ParseOptions = {}): ParseResult {
  const nl = text.indexOf('\n');
  // A body is read verbatim, not tokenized: only the first line is held to the limit (a /bulk table is longer).
  if (nl !== -1 && opts.bodyLines) {
    const { bodyLines, ...rest } = opts;
    const head = parseCommand(text.slice(0, nl), rest);
    if (head.ok && bodyLines(head.command.name)) return head;
  }
  if (text.length > MAX_COMMAND_LENGTH)
    return fail({ kind: 'too_long', length: text.length, limit: MAX_COMMAND_LENGTH });
  const tokenized = tokenize(text);
  if (!tokenized.ok) return fail(tokenized.error);

  const byKey = new Map((opts.mentions ?? []).map((m) => [m.key, m]));
  const isBot = (key: string): boolean =>
    opts.botOpenId !== undefined && byKey.get(key)?.id?.open_id === opts.botOpenId;
  const tokens = tokenized.tokens.filter((t) => !(t.kind === 'mention' && isBot(t.key)));
  if (tokens.length === 0) return fail({ kind: 'empty' });

  const first = tokens[0]!;
  let name: string;
  if (first.kind === 'word' && !first.quoted && SLASH.test(first.text)) {
    name = first.text.slice(1).normalize('NFKC').toLowerCase();
    if (name === '') return fail({ kind: 'missing_name' });
  } else if (
    opts.chatType === 'p2p' &&
    tokens.length === 1 &&
    first.kind === 'word' &&
    P2P_HELP.has(first.text.toLowerCase())
  ) {
    name = 'help';
  } else {
    return fail({ kind: 'not_command' });
  }

  const command: ParsedCommand = { name, positionals: [], options: {}, flags: [], mentions: [] };
  const userRef = (key: string): UserRef | undefined => {
    const m = byKey.get(key);
    return m?.id?.open_id ? { openId: m.id.open_id, name: m.name ?? '' } : undefined;
  };
  for (const token of tokens.slice(1)) {
    const error = addToken(command, token, userRef);
    if (error) return fail(error);
  }
  const subs = opts.subcommands?.(name) ?? [];
  const candidate = command.positionals[0]?.normalize('NFKC').toLowerCase();
  if (candidate !== undefined && subs.includes(candidate)) {
    command.sub = candidate;
    command.positionals.shift();
  }
  return { ok: true, command };
}

function addToken(
  command: ParsedCommand,
  token: Token,
  userRef: (key: string) => UserRef | undefined,
): ParseError | undefined {
  switch (token.kind) {
    case 'word':
      command.positionals.push(token.text);
      return undefined;
    case 'flag':
      if (!command.flags.includes(token.name)) command.flags.push(token.name);
      return undefined;
    case 'mention': {
      const ref = userRef(token.key);
      // @_all and placeholders without a user behind them stay as the text the user saw.
      if (!ref) command.positionals.push(token.key);
      else if (!command.mentions.some((m) => m.openId === ref.openId)) command.mentions.push(ref);
      return undefined;
    }
    case 'option': {
      if (Object.hasOwn(command.options, token.key)) return { kind: 'duplicate_option', key: token.key };
      command.options[token.key] = (!token.quoted && userRef(token.value)) || token.value;
      return undefined;
    }
  }
}

const fail = (error: ParseError): ParseResult => ({ ok: false, error });

/** What went wrong, for the error card. */
export function describeParseError(error: ParseError): Text {
  switch (error.kind) {
    case 'empty':
      return t('commands.parse.empty');
    case 'not_command':
      return t('commands.parse.notCommand');
    case 'missing_name':
      return t('commands.parse.missingName');
    case 'unterminated_quote':
      return t('commands.parse.unterminatedQuote', {
        quote: error.quote,
        position: error.index + 1,
        close: error.close,
      });
    case 'duplicate_option':
      return t('commands.parse.duplicateOption', { key: error.key });
    case 'too_long':
      return t('commands.parse.tooLong', { length: error.length, limit: error.limit });
  }
}
