/**
 * A command spec: how a command is documented (usage, summary, examples) and ONE zod object schema for its
 * arguments, from which the handler's argument type is inferred. Positionals and mentions are mapped onto named
 * fields before validation, so every problem names a field: "name: is required".
 *
 * A schema's own messages and descriptions name catalog messages: `.min(1, msg('group.nameNeeded'))`,
 * `.describe(msg('group.args.name'))`. zod carries strings only, so it carries the key, and problems and /help render
 * the message in every language.
 */
import type { z } from 'zod';

import { catalog, compose, listOf, same, t, type MessageKey, type Text } from '../i18n.js';
import type { OptionValue, ParsedCommand } from './parse.js';

type FieldOf<S extends z.ZodObject> = Extract<keyof S['shape'], string>;

export interface CommandSpec<S extends z.ZodObject = z.ZodObject> {
  /** One line for /help; a Text from the catalog (a literal in both languages is still read while specs move). */
  summary: Text;
  /** e.g. "/group create <name> [@成员…] [owner=@用户] [--public]" */
  usage: string;
  /** Typed as a user would; each must parse and validate (a test checks every registered command). */
  examples: readonly string[];
  args: S;
  /** Fields filled by positional words, in order. */
  positionals?: readonly FieldOf<S>[];
  /** Field receiving the positional words after `positionals`, as string[]. */
  rest?: FieldOf<S>;
  /**
   * Lines after the first are a body the handler reads verbatim from the text (a mail's): only the first line is
   * parsed for options, mentions and words.
   */
  bodyLines?: true;
  /** Field receiving the @-mentioned users, as { openId, name }[]. */
  mentions?: FieldOf<S>;
  /** Who may run it (and click its buttons) when app.config.json `commands` names no rule; default everyone. */
  allow?: readonly string[];
}

/** The spec as the registry and /help see it, whatever its argument type: each field widens on its own, no cast. */
export function eraseSpec<S extends z.ZodObject>(s: CommandSpec<S>): CommandSpec {
  return {
    summary: s.summary,
    usage: s.usage,
    examples: s.examples,
    args: s.args,
    ...(s.positionals ? { positionals: s.positionals } : {}),
    ...(s.rest ? { rest: s.rest } : {}),
    ...(s.bodyLines ? { bodyLines: s.bodyLines } : {}),
    ...(s.mentions ? { mentions: s.mentions } : {}),
    ...(s.allow ? { allow: s.allow } : {}),
  };
}

export type BindResult<T> = { ok: true; args: T } | { ok: false; problems: Text[] };

/** Between a message's key and its variables in a zod message, which carries a string only. */
const VARS = '\u241f';

/** A catalog message as a schema's message or description (see above), with its variables if it has any. */
export const msg = (key: MessageKey, vars?: Readonly<Record<string, string | number>>): string =>
  vars ? `${key}${VARS}${JSON.stringify(vars)}` : key;

let keys: ReadonlySet<string> | undefined;
/** Every message key of the catalog, a plural's forms as one key. */
function messageKeys(): ReadonlySet<string> {
  if (keys) return keys;
  const found = new Set<string>();
  const walk = (node: Record<string, unknown>, prefix: string): void => {
    for (const [k, v] of Object.entries(node)) {
      if (typeof v === 'string') found.add(prefix + k.replace(/_(zero|one|two|few|many|other)$/, ''));
      else walk(v as Record<string, unknown>, `${prefix}${k}.`);
    }
  };
  walk(catalog('en_us'), '');
  keys = found;
  return found;
}

/** A schema's own text in every language: a catalog message (`msg`); undefined for zod's own. */
function ownText(s: string): Text | undefined {
  const [key = '', vars] = s.split(VARS);
  if (messageKeys().has(key)) return t(key as MessageKey, vars ? (JSON.parse(vars) as Record<string, string>) : {});
  return undefined;
}

/** A description in every language; one not from the catalog is shown as written. */
const describedAs = (description: string): Text => ownText(description) ?? same(description);

const onField = (field: string, problem: Text): Text => compose((say) => `${field}: ${say(problem)}`);

/** Parsed words → the schema's input object, then zod. Collects every problem rather than stopping at the first. */
export function bindArgs<S extends z.ZodObject>(spec: CommandSpec<S>, parsed: ParsedCommand): BindResult<z.infer<S>> {
  const fields = Object.keys(spec.args.shape);
  const input: Record<string, unknown> = {};
  const problems: Text[] = [];
  const positionalFields = spec.positionals ?? [];

  parsed.positionals.forEach((word, i) => {
    const field = positionalFields[i];
    if (field !== undefined) input[field] = word;
    else if (spec.rest !== undefined) ((input[spec.rest] ??= []) as string[]).push(word);
    else problems.push(t('commands.args.unexpected', { word }));
  });
  if (parsed.mentions.length > 0) {
    if (spec.mentions !== undefined) input[spec.mentions] = parsed.mentions;
    else problems.push(t('commands.args.noMentions'));
  }
  const named: [string, OptionValue | true][] = [
    ...Object.entries(parsed.options),
    ...parsed.flags.map((f): [string, true] => [f, true]),
  ];
  const valid = fields.join(', ');
  for (const [key, value] of named) {
    if (!fields.includes(key)) {
      problems.push(t('commands.args.unknownOption', { key, valid }));
    } else if (key in input) {
      problems.push(t('commands.args.twice', { key }));
    } else {
      input[key] = value;
    }
  }

  const result = spec.args.safeParse(input);
  if (!result.success) problems.push(...issueProblems(result.error.issues, input, spec.args));
  return problems.length === 0 && result.success ? { ok: true, args: result.data } : { ok: false, problems };
}

/**
 * zod issues → one line each, prefixed with the field. Used for command args and card-action values.
 * A missing field always reads "is required" (zod reports it with the field's custom message, which may be about
 * its format), followed by the field's description when it has one.
 */
export function issueProblems(
  issues: readonly z.core.$ZodIssue[],
  input: Record<string, unknown>,
  schema: z.ZodObject,
): Text[] {
  return issues.map((issue) => {
    const field = issue.path.map(String).join('.');
    const top = String(issue.path[0]);
    const missing = issue.code === 'invalid_type' && issue.path.length === 1 && input[top] === undefined;
    const description = schema.shape[top]?.description;
    const text = missing ? required(description) : describeIssue(issue);
    return field ? onField(field, text) : text;
  });
}

function required(description: string | undefined): Text {
  return description
    ? t('commands.args.requiredFor', { description: describedAs(description) })
    : t('commands.args.required');
}

function describeIssue(issue: z.core.$ZodIssue): Text {
  // zod's own messages are English only; a schema's own message wins.
  const own = ownText(issue.message);
  if (own) return own;
  switch (issue.code) {
    case 'too_small':
      return t('commands.args.tooSmall', { minimum: String(issue.minimum) });
    case 'too_big':
      return t('commands.args.tooBig', { maximum: String(issue.maximum) });
    case 'invalid_format':
      return t('commands.args.format', { format: issue.format });
    case 'invalid_value':
      return t('commands.args.oneOf', { values: listOf(issue.values.map(String)) });
    case 'invalid_type':
      return t('commands.args.type', { expected: issue.expected });
    default:
      return t('commands.args.invalid');
  }
}

/** One line per argument for `/help <command>`: how it is written, required or not, and its description. */
export function describeArgs(spec: CommandSpec): Text[] {
  return Object.entries(spec.args.shape).map(([key, schema]) => {
    const optional = schema.safeParse(undefined).success;
    const how = spec.positionals?.includes(key)
      ? `<${key}>`
      : spec.rest === key
        ? `[${key}…]`
        : spec.mentions === key
          ? `@${key}…`
          : isFlag(schema)
            ? `--${key}`
            : `${key}=…`;
    const need = t(optional ? 'commands.args.optional' : 'commands.args.needed');
    return schema.description
      ? t('commands.args.described', { how, need, description: describedAs(schema.description) })
      : t('commands.args.line', { how, need });
  });
}

const isFlag = (schema: z.ZodType): boolean => schema.safeParse(true).success && !schema.safeParse('x').success;
