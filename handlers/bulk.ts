/**
 * /bulk <kind> with a table on the following lines (CSV, or TSV pasted from a sheet; headers in Chinese or English),
 * or from a CSV / XLSX file (a reply to the file message, or the file sent next: bulk-file.ts), answered with a plan card (what will be created, what exists already, every invalid row with its column and reason, the time at the documented limits), Apply and Cancel.
 * Nothing changes before Apply. Each row obeys its single command's rule and schema (bulk-kinds.ts, bulk-chats.ts);
 * Apply runs them as one durable run (bulk-run.ts).
 */
import { z } from 'zod';
import { bulkPlanCard, errorCard, type Card } from '../cards/index.js';
import { defineAction } from '../src/actions.js';
import type { App } from '../src/app.js';
import { msg, type CommandSpec } from '../src/commands/spec.js';
import type { ActionContext, ActionResult } from '../src/context.js';
import type { SentFile } from '../src/events.js';
import type { Workflows } from '../src/workflows/engine.js';
import { deriveKey } from '../src/keys.js';
import { DEFAULT_LIMITS } from '../src/feishu/endpoints.js';
import { t, type Text } from '../src/i18n.js';
import { authorOnly } from '../src/middleware/author-only.js';
import { explainRefusal, permission, refusalCard } from '../src/middleware/authorize.js';
import { ContextSlot } from '../src/middleware/listener.js';
import { CHAT_KINDS } from './bulk-chats.js';
import { amountOf, KINDS, nounOf, SINGLE_KINDS, type BulkKind, type KindName, type Row } from './bulk-kinds.js';
import { defineBatch, plans, progressCard, runIdOf, startBatch, type Plan } from './bulk-run.js';
import { awaitFile, fileHint, fileNextStep, tableOfFile, tableOfMessage, takeWaiting } from './bulk-file.js';
import { mapHeader, parseText, type TableResult } from './bulk-table.js';
import type { Ctx } from './provision.js';

const kinds: Record<KindName, BulkKind> = { ...SINGLE_KINDS, ...CHAT_KINDS };

const args = z.object({
  kind: z
    .enum(KINDS, msg('bulk.args.kindOneOf', { kinds: KINDS.join(', ') }))
    .describe(msg('bulk.args.kind', { kinds: KINDS.join(', ') })),
});

export const bulkSpec: CommandSpec<typeof args> = {
  summary: t('bulk.summary'),
  usage: '/bulk <groups|members|mailgroups|contacts|hires>',
  examples: ['/bulk contacts\nname,email,company\n张三,zhangsan@example.com,张三科技'],
  args,
  positionals: ['kind'],
  bodyLines: true,
};

const planSlot = new ContextSlot<Plan>('the bulk plan');
const mine = authorOnly<{ plan: string }, Plan>({
  slot: planSlot,
  load: (ctx, { plan }) => plans.get(ctx.store, plan),
  author: (p) => p.author,
  audit: { action: 'bulk.action', target: ({ plan }) => plan },
  gone: t('bulk.plan.gone'),
  notAuthor: t('bulk.plan.notAuthor'),
});

const planArgs = z.object({ plan: z.string().min(1) });
// One Apply and one Retry per kind, each following that kind's command: whoever may not run it may not click them.
const applyActions = Object.fromEntries(
  KINDS.map((k) => [
    k,
    defineAction(`bulk.apply-${k}`, planArgs, {
      follows: kinds[k].command,
      progress: t('bulk.plan.applying'),
    }),
  ]),
) as Record<KindName, ReturnType<typeof defineAction<typeof planArgs>>>;
const retryActions = Object.fromEntries(
  KINDS.map((k) => [
    k,
    defineAction(`bulk.retry-${k}`, planArgs, {
      follows: kinds[k].command,
      progress: t('bulk.plan.retrying'),
    }),
  ]),
) as Record<KindName, ReturnType<typeof defineAction<typeof planArgs>>>;
const cancelAction = defineAction('bulk.cancel', planArgs, { follows: 'bulk' });

const retryButton = (plan: Plan) => [
  retryActions[plan.kind].button({ plan: plan.id }, { label: t('bulk.plan.retryFailed'), style: 'primary' }),
];

/** How long the rows take at the endpoint's limit (the configured override, else the documented one). */
function timeAt(ctx: Ctx, kind: BulkKind, rows: number): Text {
  const limit = { ...DEFAULT_LIMITS[kind.endpoint], ...ctx.config.app.rateLimits[kind.endpoint] };
  const perMinute = Math.min(limit.perMinute ?? Infinity, (limit.perSecond ?? Infinity) * 60);
  if (!Number.isFinite(perMinute)) return t('bulk.time.moments');
  const minutes = rows / perMinute;
  const rate = limit.perMinute ? `${limit.perMinute}/min` : `${limit.perSecond}/s`;
  const duration =
    minutes < 1
      ? t('bulk.time.seconds', { n: Math.ceil(minutes * 60) })
      : t('bulk.time.minutes', { n: minutes.toFixed(1) });
  return t('bulk.time.about', { duration, rate, endpoint: kind.endpoint });
}

/** `from`: where the table came from, pasted lines or a file, so the next step speaks of the same. */
const tableError = (kind: BulkKind, problem: Text, from: 'paste' | 'file'): Card =>
  errorCard({
    title: t('bulk.table.unreadableTitle'),
    problems: [problem],
    nextStep: from === 'file' ? fileNextStep() : t('bulk.table.pasteNextStep'),
    example: `/bulk ${kind.name}\n${kind.example}`,
  });

async function makePlan(
  ctx: Ctx,
  wf: Workflows,
  kind: BulkKind,
  read: TableResult,
  from: 'paste' | 'file' = 'paste',
): Promise<Card> {
  if (!read.ok) return tableError(kind, read.problem, from);
  const header = mapHeader(read.table.header, kind.columns);
  if (!header.ok) return tableError(kind, header.problem, from);
  const fields = header.fields;
  const rows: Row[] = read.table.rows.map((r) => ({
    n: r.n,
    cells: Object.fromEntries(fields.flatMap((f, i) => (f && r.cells[i] ? [[f, r.cells[i]]] : []))),
  }));
  const column = (field: string) => read.table.header[fields.indexOf(field)] ?? field;
  const planned = await kind.plan({ ctx, column, workflows: wf }, rows);
  const plan: Plan = {
    id: deriveKey(ctx.dedupeKey, 'bulk'),
    kind: kind.name,
    author: ctx.sender.openId,
    authorName: ctx.sender.name ?? ctx.sender.openId,
    createdAt: ctx.now(),
    rows: planned.map((p, i) => ({ ...p, n: rows[i]!.n })),
  };
  // A redelivered /bulk answers with the plan it made first.
  await plans.setIfAbsent(ctx.store, plan.id, plan);
  const saved = (await plans.get(ctx.store, plan.id)) ?? plan;
  return planCard(ctx, saved, kind);
}

function planCard(ctx: Ctx, plan: Plan, kind: BulkKind, note?: Text): Card {
  const of = <S extends Plan['rows'][number]['state']>(s: S) => plan.rows.filter((r) => r.state === s);
  const create = of('create');
  const open = !plan.cancelled && create.length > 0;
  return bulkPlanCard({
    noun: nounOf(kind.name),
    create,
    exists: of('exists').map((r) => ({ ...r, existing: r.existing ?? '' })),
    invalid: of('invalid').map((r) => ({ ...r, problems: r.problems ?? [] })),
    time: timeAt(ctx, kind, create.length),
    actions: open
      ? [
          applyActions[kind.name].button(
            { plan: plan.id },
            {
              label: t('bulk.plan.apply', { n: create.length }),
              style: 'primary',
              confirm: t('bulk.plan.applyConfirm', { what: amountOf(kind.name, create.length) }),
            },
          ),
          cancelAction.button({ plan: plan.id }, { label: t('bulk.plan.cancel') }),
        ]
      : [],
    ...(note ? { note } : {}),
  });
}

const runGone = (): ActionResult => ({ toast: { type: 'error', text: t('bulk.plan.runGone') } });

async function apply(ctx: ActionContext, wf: Workflows): Promise<ActionResult> {
  const plan = planSlot.get(ctx);
  if (plan.cancelled) return { toast: { type: 'error', text: t('bulk.plan.wasCancelled') } };
  const started = await startBatch(wf, plan, ctx.messageId);
  if (started) await ctx.audit('bulk.apply', plan.id, 'ok', `${plan.kind}: ${plan.rows.length} rows`);
  // One driver at a time: a second Apply while the first drives answers with the progress so far.
  const driven = await wf.drive(runIdOf(plan.id));
  const run = driven.run ?? (await wf.get(runIdOf(plan.id)));
  if (!run) return runGone();
  return {
    card: await progressCard(ctx.store, plan, kinds[plan.kind], run, { retry: retryButton }),
    ...(driven.state === 'busy' ? { toast: { type: 'info' as const, text: t('bulk.plan.alreadyApplying') } } : {}),
  };
}

async function retry(ctx: ActionContext, wf: Workflows): Promise<ActionResult> {
  const plan = planSlot.get(ctx);
  const run = await wf.retry(runIdOf(plan.id));
  if (!run) return runGone();
  return { card: await progressCard(ctx.store, plan, kinds[plan.kind], run, { retry: retryButton }) };
}

async function cancel(ctx: ActionContext, wf: Workflows): Promise<ActionResult> {
  const plan = planSlot.get(ctx);
  if (await wf.get(runIdOf(plan.id))) return { toast: { type: 'warning', text: t('bulk.plan.cannotCancel') } };
  const cancelled = { ...plan, cancelled: true };
  await plans.set(ctx.store, plan.id, cancelled);
  return {
    card: planCard(ctx, cancelled, kinds[plan.kind], t('bulk.plan.cancelled')),
  };
}

/** Why the sender may not batch this kind (each row obeys its single command's rule), or undefined when they may. */
async function refusal(ctx: Ctx, kind: BulkKind): Promise<Card | undefined> {
  for (const command of ['bulk', kind.command]) {
    const verdict = permission(ctx.config.app, { kind: 'command', key: command }, ctx.sender.openId);
    if (!verdict.ok)
      return refusalCard(await explainRefusal(ctx.config.app, ctx.gateway.directory, `/${command}`, verdict.allow));
  }
  if (kind.name === 'hires' && (!ctx.config.app.onboarding.enabled || !ctx.config.app.onboarding.steps.length))
    return errorCard({
      title: t('bulk.hires.offTitle'),
      problems: [t('bulk.hires.off')],
    });
  return undefined;
}

async function bulkCommand(ctx: Ctx, wf: Workflows, a: z.infer<typeof args>): Promise<Card> {
  const kind = kinds[a.kind];
  const refused = await refusal(ctx, kind);
  if (refused) return refused;
  const text = ctx.text ?? '';
  const nl = text.indexOf('\n');
  const pasted = nl === -1 ? '' : text.slice(nl + 1);
  if (pasted.trim() !== '') return makePlan(ctx, wf, kind, parseText(pasted));
  // No rows: the file replied to, or the next file the sender sends here.
  if (ctx.parentId) return makePlan(ctx, wf, kind, await tableOfMessage(ctx, ctx.parentId), 'file');
  return awaitFile(ctx, kind.name, kind.example.split('\n')[0] ?? '');
}

/** A file sent after `/bulk <kind>` without rows; any other table file gets a hint, other files pass. */
async function bulkFile(ctx: Ctx, wf: Workflows, file: SentFile): Promise<Card | undefined> {
  const name = await takeWaiting(ctx);
  if (!name || !ctx.messageId) return fileHint(file);
  const kind = kinds[name];
  return (await refusal(ctx, kind)) ?? makePlan(ctx, wf, kind, await tableOfFile(ctx, ctx.messageId, file), 'file');
}

export function registerBulk(app: App): void {
  const wf = app.workflows;
  defineBatch(wf, kinds, { retry: retryButton });
  app.command('bulk', bulkSpec, (ctx, a) => bulkCommand(ctx, wf, a));
  app.file((ctx, file) => bulkFile(ctx, wf, file));
  for (const k of KINDS) {
    app.action(applyActions[k], mine, (ctx) => apply(ctx, wf));
    app.action(retryActions[k], mine, (ctx) => retry(ctx, wf));
  }
  app.action(cancelAction, mine, (ctx) => cancel(ctx, wf));
}
