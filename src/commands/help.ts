/** `/help` and `/help <command> [sub]`, generated from the registered specs: nothing here is written by hand. */
import { errorCard, helpCard, type Bilingual, type Card, type HelpCardInput } from '../../cards/index.js';
import { commandKey, type CommandRegistry, type RegisteredCommand, type Resolution } from './registry.js';
import { describeArgs } from './spec.js';

export type HelpContent = { ok: true; help: HelpCardInput } | { ok: false; typed: string; suggestions: string[] };

const listing = (entries: RegisteredCommand[]): HelpCardInput['commands'] =>
  entries.map((e) => ({ usage: e.spec.usage, summary: e.spec.summary, examples: [...e.spec.examples] }));

export function helpContent(registry: CommandRegistry, topic: readonly string[]): HelpContent {
  const all = registry.all();
  const words = topic.map((w) => w.normalize('NFKC').toLowerCase().replace(/^[/／]/, ''));
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
    return { ok: true, help: { commands: listing(all.filter((e) => e.name === name)) } };
  }
  return { ok: false, ...unresolved(resolution) };
}

/** What was typed for a command that did not resolve, and the closest registered ones, as full command keys. */
export function unresolved<H>(r: Exclude<Resolution<H>, { kind: 'found' }>): { typed: string; suggestions: string[] } {
  if (r.kind === 'unknown') return { typed: r.typed, suggestions: r.suggestions };
  return { typed: commandKey({ name: r.name, ...(r.typed ? { sub: r.typed } : {}) }), suggestions: r.suggestions.map((s) => `${r.name} ${s}`) };
}

export function helpFor(registry: CommandRegistry, topic: readonly string[]): Card {
  const content = helpContent(registry, topic);
  return content.ok ? helpCard(content.help) : unknownCommandCard(content.typed, content.suggestions);
}

export function unknownCommandCard(typed: string, suggestions: readonly string[]): Card {
  const problem: Bilingual = { zh: `没有 /${typed} 这个命令`, en: `There is no command /${typed}` };
  const nextStep: Bilingual = suggestions.length
    ? { zh: `你是不是想输入：${suggestions.map((s) => `/${s}`).join('、')}`, en: `Did you mean: ${suggestions.map((s) => `/${s}`).join(', ')}` }
    : { zh: '发送 /help 查看所有命令', en: 'Send /help to see every command' };
  return errorCard({
    title: { zh: '未知命令', en: 'Unknown command' },
    problems: [problem],
    nextStep,
    ...(suggestions[0] ? { example: `/${suggestions[0]}` } : { example: '/help' }),
  });
}
