/** Registered commands by name and subcommand, and how a parsed command finds (or fails to find) its entry. */
import { describeParseError, parseCommand, type ParsedCommand } from './parse.js';
import { bindArgs, type CommandSpec } from './spec.js';
import { suggest } from './suggest.js';

export interface RegisteredCommand<H = unknown> {
  name: string;
  sub?: string;
  spec: CommandSpec;
  handler: H;
}

export type Resolution<H> =
  | { kind: 'found'; entry: RegisteredCommand<H> }
  | { kind: 'unknown'; typed: string; suggestions: string[] }
  /** The command exists only with subcommands and none (or an unknown one) was given. */
  | { kind: 'needs_sub'; name: string; typed?: string; subs: string[]; suggestions: string[] };

const NAME = /^[a-z][a-z0-9_-]*$/;

/** "group create" → the usage key for messages and config: commands["group create"] */
export const commandKey = (c: { name: string; sub?: string }): string => (c.sub ? `${c.name} ${c.sub}` : c.name);

export class CommandRegistry<H = unknown> {
  readonly #entries = new Map<string, RegisteredCommand<H>>();

  /** `name` is "group" or "group create". */
  add(name: string, spec: CommandSpec, handler: H): RegisteredCommand<H> {
    const [main = '', sub, ...extra] = name.trim().toLowerCase().split(/\s+/);
    if (!NAME.test(main) || (sub !== undefined && !NAME.test(sub)) || extra.length > 0) {
      throw new Error(`command name "${name}" must be "name" or "name sub", lower-case letters, digits, - or _`);
    }
    const entry: RegisteredCommand<H> = { name: main, ...(sub ? { sub } : {}), spec, handler };
    const key = commandKey(entry);
    if (this.#entries.has(key)) throw new Error(`command "/${key}" is registered twice`);
    this.#entries.set(key, entry);
    return entry;
  }

  all(): RegisteredCommand<H>[] {
    return [...this.#entries.values()];
  }

  /** Whether a command's lines after the first are a verbatim body (see CommandSpec.bodyLines). */
  bodyLines = (name: string): boolean => this.all().some((e) => e.name === name && e.spec.bodyLines === true);

  subcommands = (name: string): string[] => this.all().flatMap((e) => (e.name === name && e.sub ? [e.sub] : []));

  resolve(parsed: Pick<ParsedCommand, 'name' | 'sub' | 'positionals'>): Resolution<H> {
    const exact = this.#entries.get(commandKey(parsed));
    if (exact) return { kind: 'found', entry: exact };
    const subs = this.subcommands(parsed.name);
    if (subs.length === 0) {
      const names = new Set(this.all().map((e) => e.name));
      return { kind: 'unknown', typed: parsed.name, suggestions: suggest(parsed.name, names) };
    }
    const typed = parsed.positionals[0];
    return {
      kind: 'needs_sub',
      name: parsed.name,
      subs,
      suggestions: typed ? suggest(typed, subs) : [],
      ...(typed ? { typed } : {}),
    };
  }

  /** Every spec example that does not parse, names another command, or fails its schema: should be none. */
  exampleProblems(): { command: string; example: string; problems: string[] }[] {
    return this.all().flatMap((entry) =>
      entry.spec.examples.flatMap((example) => {
        const problems = this.#checkExample(entry, example);
        return problems.length ? [{ command: commandKey(entry), example, problems }] : [];
      }),
    );
  }

  #checkExample(entry: RegisteredCommand<H>, example: string): string[] {
    const parsed = parseCommand(example, { subcommands: this.subcommands, bodyLines: this.bodyLines });
    if (!parsed.ok) return [describeParseError(parsed.error).en_us];
    const found = this.resolve(parsed.command);
    if (found.kind !== 'found' || found.entry !== entry) return [`runs a different command than /${commandKey(entry)}`];
    const bound = bindArgs(entry.spec, parsed.command);
    return bound.ok ? [] : bound.problems.map((p) => p.en_us);
  }
}
