/** `/help` and `/help <command> [sub]`, generated from the registered specs: nothing here is written by hand. */
import { errorCard, helpCard, type Card, type HelpCardInput } from '../../cards/index.js';
import { listOf, t } from '../i18n.js';
import type { ParsedCommand } from './parse.js';
import { commandKey, type CommandRegistry, type RegisteredCommand, type Resolution } from './registry.js';
import { describeArgs } from './spec.js';

export type HelpContent = { ok: true; help: HelpCardInput } | { ok: false; typed: string; suggestions: string[] };

const listing = (entries: RegisteredCommand[]): HelpCardInput['commands'] =>
  entries.map((e) => ({ usage: e.spec.usage, summary: e.spec.summary, examples: [...e.spec.examples] }));

export function helpContent(registry: CommandRegistry, topic: readonly string[]): HelpContent {
  const all = registry.all();
  const words = topic.map((w) =>
    w
      .normalize('NFKC')
      .toLowerCase()
      .replace(/^[/／]/, ''),
  );
  if (words.length === 0) return { ok: true, help: { commands: listing(all) } };

  const [name = '', sub] = words;
  const resolution = registry.resolve({ name, positionals: sub ? [sub] : [], ...(sub ? { sub } : {}) });
  if (resolution.kind === 'found') {
    const { spec } = resolution.entry;
    return {
      ok: true,
      help: {
        commands: [],
        focus: { usage: spec.usage, summary: spec.summary, details: describeArgs(spec), examples: [...spec.examples] },
      },
    };
  }
  if (resolution.kind === 'needs_sub' && sub === undefined) {
    return { ok: true, help: { family: name, commands: listing(all.filter((e) => e.name === name)) } };
  }
  const { typed, suggestions } = unresolved(resolution);
  return { ok: false, typed, suggestions };
}

/**
 * What was typed for a command that did not resolve, the closest registered ones as full command keys, and (given
 * the parsed command) the rest of the line after the command words, so a suggestion can be the whole corrected line.
 */
export function unresolved<H>(
  r: Exclude<Resolution<H>, { kind: 'found' }>,
  parsed?: ParsedCommand,
): { typed: string; suggestions: string[]; rest: string } {
  // A mistyped subcommand is the first positional: the suggestion replaces it.
  const rest = parsed ? restOfLine(parsed, r.kind === 'needs_sub' && r.typed !== undefined ? 1 : 0) : '';
  if (r.kind === 'unknown') return { typed: r.typed, suggestions: r.suggestions, rest };
  // Nothing close to the typed subcommand: every valid one is the better answer than "send /help".
  const subs = r.suggestions.length ? r.suggestions : r.subs;
  return {
    typed: commandKey({ name: r.name, ...(r.typed ? { sub: r.typed } : {}) }),
    suggestions: subs.map((s) => `${r.name} ${s}`),
    rest: r.suggestions.length ? rest : '',
  };
}

/** The arguments of a parsed command written back as a user would type them. */
function restOfLine(p: ParsedCommand, skip: number): string {
  const word = (w: string) => (!/[\s"“”「」]/.test(w) ? w : w.includes('"') ? `「${w}」` : `"${w}"`);
  return [
    ...p.positionals.slice(skip).map(word),
    ...p.mentions.map((m) => `@${m.name}`),
    ...Object.entries(p.options).map(([k, v]) => `${k}=${typeof v === 'string' ? word(v) : `@${v.name}`}`),
    ...p.flags.map((f) => `--${f}`),
  ].join(' ');
}

export function helpFor(registry: CommandRegistry, topic: readonly string[]): Card {
  const content = helpContent(registry, topic);
  return content.ok ? helpCard(content.help) : unknownCommandCard(content.typed, content.suggestions);
}

/** `rest`: the arguments as typed, so each suggestion is the whole corrected line. */
export function unknownCommandCard(typed: string, suggestions: readonly string[], rest = ''): Card {
  const lines = suggestions.map((s) => (rest ? `/${s} ${rest}` : `/${s}`));
  return errorCard({
    title: t('commands.unknown.title'),
    problems: [t('commands.unknown.problem', { command: typed })],
    nextStep: lines.length
      ? t('commands.unknown.didYouMean', { commands: listOf(lines) })
      : t('commands.unknown.sendHelp'),
    example: lines[0] ?? '/help',
  });
}
