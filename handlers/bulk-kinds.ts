/**
 * What /bulk takes, kind by kind: the columns a table may have, how each row becomes the arguments of its single
 * command (validated by that command's own zod schema, so a row is refused with the command's own words), which rows
 * exist already, and the row's effect when the batch runs, with its inverse for the batch's Undo. The chat kinds
 * (groups, members, mail groups) are in bulk-chats.ts.
 */
import type { z } from 'zod';
import type { Inverse } from '../src/changes/journal.js';

import { issueProblems, type CommandSpec } from '../src/commands/spec.js';
import type { Endpoint } from '../src/feishu/endpoints.js';
import { displayName } from '../src/feishu/directory-cache.js';
import type { DirectoryPort, MailContact } from '../src/feishu/ports.js';
import { listOf, t, type Text } from '../src/i18n.js';
import { approvalRule, isApprover } from '../src/middleware/approval.js';
import { explainRefusal, permission } from '../src/middleware/authorize.js';
import { isFinished, type Workflows, type WorkflowEnv } from '../src/workflows/engine.js';
import type { Columns } from './bulk-table.js';
import {
  contactAddSpec,
  contactInput,
  NO_OWN_MAILBOX,
  OTHER_MAILBOX_DEFAULT,
  OTHER_MAILBOX_RULE,
  type ContactArgs,
} from './contact.js';
import { startRun } from './onboard.js';
import { runInverse } from './onboard-undo.js';
import { ownMailbox, type Ctx, type UserRef } from './provision.js';

export const KINDS = ['groups', 'members', 'mailgroups', 'contacts', 'hires'] as const;
export type KindName = (typeof KINDS)[number];

export interface RowProblem {
  /** The column as the table's header wrote it (or the field's name when the table has no such column). */
  column: string;
  reason: Text;
}

/** A table row: its row number and its cells by field. */
export interface Row {
  n: number;
  cells: Partial<Record<string, string>>;
}

export type RowPlan =
  | { state: 'create'; label: string; args: Record<string, unknown> }
  | { state: 'exists'; label: string; existing: string }
  | { state: 'invalid'; label: string; problems: RowProblem[] };

/** What a row's effect made: shown in the result table; the inverse goes into the batch's Undo. */
export interface RowDone {
  detail: string;
  inverse: Inverse[];
}

export interface PlanContext {
  ctx: Ctx;
  /** The header cell that names a field, for problems. */
  column(field: string): string;
  workflows: Workflows;
}

export interface BulkKind {
  name: KindName;
  /** The command each row is: its rule guards /bulk of this kind and the plan's buttons. */
  command: string;
  columns: Columns<string>;
  /** A header and one row, for the help and the error card. */
  example: string;
  /** The binding rate limit of a row's effect, and how many such calls a row makes. */
  endpoint: Endpoint;
  /** All rows at once, so lookups are shared (a mailbox's contacts are listed once). */
  plan(p: PlanContext, rows: Row[]): Promise<RowPlan[]>;
  /** One row's effect; `key` is the row's idempotency key in this plan, `resumed` that an attempt may have landed. */
  apply(env: WorkflowEnv, args: Record<string, unknown>, o: ApplyOptions): Promise<RowDone>;
}

export interface ApplyOptions {
  key: string;
  resumed: boolean;
  /** Who made the plan: the owner of a chat whose row names none. */
  author: UserRef;
  workflows: Workflows;
}

/** The row's cells (non-empty only) validated by the single command's schema; problems name the column. */
export function validated<S extends z.ZodObject>(
  spec: CommandSpec<S>,
  input: Record<string, unknown>,
  column: (field: string) => string,
): { ok: true; args: z.infer<S> } | { ok: false; problems: RowProblem[] } {
  const result = spec.args.safeParse(input);
  if (result.success) return { ok: true, args: result.data };
  return {
    ok: false,
    problems: result.error.issues.map((issue) => ({
      column: column(String(issue.path[0] ?? '')),
      reason: issueProblems([issue], input, spec.args)[0]!,
    })),
  };
}

/** Only the cells a row fills in: an empty cell is an option not given. */
export const filled = (cells: Row['cells'], fields: readonly string[]): Record<string, string> =>
  Object.fromEntries(fields.flatMap((f) => (cells[f] ? [[f, cells[f]]] : [])));

const SEPARATORS = /[,，;；、\s]+/;

/**
 * People in a cell, by open_id (ou_…) or address, separated by commas, semicolons, 、 or spaces: each resolved
 * with the directory, or named as a problem (a name alone is ambiguous, so it is not guessed).
 */
export async function peopleIn(
  directory: DirectoryPort,
  cell: string | undefined,
): Promise<{ people: UserRef[]; unknown: string[] }> {
  const tokens = (cell ?? '').split(SEPARATORS).filter(Boolean);
  const emails = tokens.filter((t) => t.includes('@'));
  const found = emails.length ? await directory.openIdsByEmail(emails) : new Map<string, string | undefined>();
  const people: UserRef[] = [];
  const unknown: string[] = [];
  for (const t of tokens) {
    const openId = t.startsWith('ou_') ? t : found.get(t);
    if (openId) people.push({ openId, name: await displayName(directory, openId) });
    else unknown.push(t);
  }
  return { people, unknown };
}

export const unknownPeople = (column: string, unknown: string[]): RowProblem => ({
  column,
  reason: t('bulk.problem.notFound', { people: listOf(unknown) }),
});

/** What the rows of a kind make, in the plan's words: "contacts". */
export const nounOf = (kind: KindName): Text => t(`bulk.noun.${kind}`);

/** "3 contacts". */
export const amountOf = (kind: KindName, count: number): Text => t(`bulk.amount.${kind}`, { count });

/** The row of a value seen before in the table: one plan makes it once. */
export const repeats = (column: string, n: number): RowProblem => ({
  column,
  reason: t('bulk.problem.repeatsRow', { n }),
});

const CONTACT_FIELDS = ['name', 'email', 'phone', 'company', 'position', 'tag', 'remark', 'mailbox'] as const;

const contacts: BulkKind = {
  name: 'contacts',
  command: 'contact add',
  columns: {
    name: ['姓名', '名字', '联系人'],
    email: ['邮箱', '邮件地址', '邮箱地址', 'e-mail', 'mail'],
    phone: ['电话', '手机', '手机号'],
    company: ['公司'],
    position: ['职位', 'title'],
    tag: ['标签'],
    remark: ['备注', 'note'],
    mailbox: ['邮箱账户', '存入邮箱', '存到'],
  },
  example: 'name,email,company\n张三,zhangsan@example.com,张三科技',
  endpoint: 'mail.contact.create',
  async plan({ ctx, column }, rows) {
    const own = await ownMailbox(ctx);
    const app = ctx.config.app;
    const other = permission(
      app,
      { kind: 'action', key: OTHER_MAILBOX_RULE },
      ctx.sender.openId,
      OTHER_MAILBOX_DEFAULT,
    );
    const refusal = other.ok
      ? undefined
      : await explainRefusal(app, ctx.gateway.directory, "mailbox=<别人的邮箱 another person's mailbox>", other.allow);
    // Where another person's mailbox needs an approval the requester cannot give, a row cannot bypass it in a batch.
    const approval = approvalRule(app, OTHER_MAILBOX_RULE);
    const needsApproval =
      approval && !isApprover(app, approval, ctx.sender.openId) ? t('bulk.problem.otherMailboxApproval') : undefined;
    const otherMailboxProblem = refusal ? refusal.problem : needsApproval;
    const listed = new Map<string, Promise<MailContact[]>>();
    const seen = new Map<string, number>();
    const out: RowPlan[] = [];
    for (const row of rows) {
      const v = validated(contactAddSpec, filled(row.cells, CONTACT_FIELDS), column);
      const label = row.cells.name || row.cells.email || '';
      if (!v.ok) {
        out.push({ state: 'invalid', label, problems: v.problems });
        continue;
      }
      const a: ContactArgs = v.args;
      const target = a.mailbox === 'me' ? own : a.mailbox;
      const problem: RowProblem | undefined = !target
        ? { column: column('mailbox'), reason: NO_OWN_MAILBOX }
        : target.toLowerCase() !== own?.toLowerCase() && otherMailboxProblem
          ? { column: column('mailbox'), reason: otherMailboxProblem }
          : undefined;
      if (problem || !target) {
        out.push({ state: 'invalid', label, problems: problem ? [problem] : [] });
        continue;
      }
      const address = a.email?.toLowerCase();
      const twin = address && seen.get(`${target.toLowerCase()} ${address}`);
      if (twin) {
        out.push({ state: 'invalid', label, problems: [repeats(column('email'), twin)] });
        continue;
      }
      if (address) seen.set(`${target.toLowerCase()} ${address}`, row.n);
      if (!listed.has(target)) listed.set(target, ctx.gateway.mailbox.listContacts(target));
      const existing = address && (await listed.get(target)!).find((c) => c.mailAddress?.toLowerCase() === address);
      out.push(
        existing
          ? { state: 'exists', label, existing: `${existing.name} <${existing.mailAddress ?? ''}> #${existing.id}` }
          : { state: 'create', label, args: { ...a, mailbox: target } },
      );
    }
    return out;
  },
  async apply(env, args, { resumed }) {
    const a = contactAddSpec.args.parse(args);
    const { contactId } = await env.gateway.mailbox.createContact(a.mailbox, contactInput(a), { mayExist: resumed });
    return {
      detail: `${a.mailbox} #${contactId}`,
      inverse: [{ op: 'contact.delete', mailbox: a.mailbox, contactId, name: a.name }],
    };
  },
};

const hires: BulkKind = {
  name: 'hires',
  command: 'onboard',
  columns: { hire: ['email', 'open_id', '邮箱', '员工', '新员工', 'openid', '用户'] },
  example: 'email\nliuyang@example.com',
  endpoint: 'chat.members.create',
  async plan({ ctx, column, workflows }, rows) {
    const out: RowPlan[] = [];
    for (const row of rows) {
      const { people, unknown } = await peopleIn(ctx.gateway.directory, row.cells.hire);
      const hire = people[0];
      const label = row.cells.hire ?? '';
      if (!hire || unknown.length || people.length > 1) {
        out.push({
          state: 'invalid',
          label,
          problems: [
            unknown.length
              ? unknownPeople(column('hire'), unknown)
              : { column: column('hire'), reason: t('bulk.problem.oneHire') },
          ],
        });
        continue;
      }
      const run = await workflows.get(`onboard:${hire.openId}`);
      out.push(
        run
          ? { state: 'exists', label: hire.name, existing: `${run.id} (${run.trigger})` }
          : { state: 'create', label: hire.name, args: { openId: hire.openId } },
      );
    }
    return out;
  },
  async apply(env, args, { author, workflows }) {
    const openId = String(args.openId);
    const app = env.config.app;
    const { run } = await startRun(workflows, env.gateway, app, openId, `/bulk hires · ${author.name}`);
    const after = (await workflows.driveEventually(run.id)) ?? run;
    if (!isFinished(after)) {
      const open = after.steps.filter((s) => s.status !== 'done' && s.status !== 'not_applicable').map((s) => s.id);
      return { detail: `${after.id}: ${open.join(', ')} …`, inverse: [] };
    }
    return { detail: after.id, inverse: runInverse(app, after) };
  },
};

export const SINGLE_KINDS = { contacts, hires };
