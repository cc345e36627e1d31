/**
 * A command spec: how a command is documented (usage, bilingual summary, examples) and ONE zod object schema for its
 * arguments, from which the handler's argument type is inferred. Positionals and mentions are mapped onto named
 * fields before validation, so every problem names a field: "name: 请提供群名称 / name is required".
 *
 * Messages in schemas may be bilingual as "中文 / English" (also in `.describe()`); they are split on " / ".
 */
import type { z } from 'zod';
import type { Bilingual, Words } from '../card.js';
import type { OptionValue, ParsedCommand } from './parse.js';

type FieldOf<S extends z.ZodObject> = Extract<keyof S['shape'], string>;

export interface CommandSpec<S extends z.ZodObject = z.ZodObject> {
  summary: Words;
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

export type BindResult<T> = { ok: true; args: T } | { ok: false; problems: Bilingual[] };

export function splitBilingual(text: string): Bilingual {
  const at = text.indexOf(' / ');
  return at === -1 ? { zh: text, en: text } : { zh: text.slice(0, at), en: text.slice(at + 3) };
}

/** Parsed words → the schema's input object, then zod. Collects every problem rather than stopping at the first. */
export function bindArgs<S extends z.ZodObject>(spec: CommandSpec<S>, parsed: ParsedCommand): BindResult<z.infer<S>> {
  const fields = Object.keys(spec.args.shape);
  const input: Record<string, unknown> = {};
  const problems: Bilingual[] = [];
  const positionalFields = spec.positionals ?? [];

  parsed.positionals.forEach((word, i) => {
    const field = positionalFields[i];
    if (field !== undefined) input[field] = word;
    else if (spec.rest !== undefined) ((input[spec.rest] ??= []) as string[]).push(word);
    else problems.push({ zh: `多余的参数“${word}”`, en: `unexpected argument "${word}"` });
  });
  if (parsed.mentions.length > 0) {
    if (spec.mentions !== undefined) input[spec.mentions] = parsed.mentions;
    else problems.push({ zh: '这个命令不接受 @成员', en: 'this command takes no @mentions' });
  }
  const named: [string, OptionValue | true][] = [
    ...Object.entries(parsed.options),
    ...parsed.flags.map((f): [string, true] => [f, true]),
  ];
  const valid = fields.join(', ');
  for (const [key, value] of named) {
    if (!fields.includes(key)) {
      problems.push({ zh: `未知选项“${key}”（可用：${valid}）`, en: `unknown option "${key}" (valid: ${valid})` });
    } else if (key in input) {
      problems.push({ zh: `${key} 给了两次`, en: `${key} is given twice` });
    } else {
      input[key] = value;
    }
  }

  const result = spec.args.safeParse(input);
  if (!result.success) problems.push(...issueProblems(result.error.issues, input, spec.args));
  return problems.length === 0 && result.success ? { ok: true, args: result.data } : { ok: false, problems };
}

/**
 * zod issues → one bilingual line each, prefixed with the field. Used for command args and card-action values.
 * A missing field always reads "is required" (zod reports it with the field's custom message, which may be about
 * its format), followed by the field's description when it has one.
 */
export function issueProblems(
  issues: readonly z.core.$ZodIssue[],
  input: Record<string, unknown>,
  schema: z.ZodObject,
): Bilingual[] {
  return issues.map((issue) => {
    const field = issue.path.map(String).join('.');
    const top = String(issue.path[0]);
    const missing = issue.code === 'invalid_type' && issue.path.length === 1 && input[top] === undefined;
    const description = schema.shape[top]?.description;
    const text = missing ? required(description) : describeIssue(issue);
    return field ? { zh: `${field}: ${text.zh}`, en: `${field}: ${text.en}` } : text;
  });
}

function required(description: string | undefined): Bilingual {
  if (!description) return { zh: '必填', en: 'is required' };
  const d = splitBilingual(description);
  return { zh: `必填（${d.zh}）`, en: `is required (${d.en})` };
}

function describeIssue(issue: z.core.$ZodIssue): Bilingual {
  // zod's own messages are English only; a schema's custom "中文 / English" message wins.
  if (issue.message.includes(' / ')) return splitBilingual(issue.message);
  switch (issue.code) {
    case 'too_small':
      return { zh: `太小或太短（至少 ${String(issue.minimum)}）`, en: issue.message };
    case 'too_big':
      return { zh: `太大或太长（至多 ${String(issue.maximum)}）`, en: issue.message };
    case 'invalid_format':
      return { zh: `格式不对（应为 ${issue.format}）`, en: issue.message };
    case 'invalid_value':
      return { zh: `只能是 ${issue.values.map(String).join(' / ')}`, en: issue.message };
    case 'invalid_type':
      return { zh: `类型不对（应为 ${issue.expected}）`, en: issue.message };
    default:
      return { zh: '无效', en: issue.message };
  }
}

/** One line per argument for `/help <command>`: how it is written, required or not, and its description. */
export function describeArgs(spec: CommandSpec): Bilingual[] {
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
    const text = splitBilingual(schema.description ?? '');
    return {
      zh: `${how}（${optional ? '可选' : '必填'}）${text.zh ? `：${text.zh}` : ''}`,
      en: `${how} (${optional ? 'optional' : 'required'})${text.en ? `: ${text.en}` : ''}`,
    };
  });
}

const isFlag = (schema: z.ZodType): boolean => schema.safeParse(true).success && !schema.safeParse('x').success;
