/**
 * A /bulk plan applied: one durable run (src/workflows) whose steps are the plan's rows to create, each row's effect
 * keyed by the plan and the row (Feishu's uuid, or a look before creating when an attempt may have landed), so Apply
 * clicked twice, a redelivered click or a crash never makes a row twice. The plan card becomes the run's progress
 * card, updated in place; at the end it is the result table with Retry failed rows and Undo, which takes back
 * the batch as one change (every done row's inverse).
 */
import { z } from 'zod';
import { bulkProgressCard, type Card, type CardButton } from '../cards/index.js';
import { changeOf, inverseSchema, loadChange, saveChange, saveNew, type Inverse } from '../src/changes/journal.js';
import type { HandlerStore } from '../src/context.js';
import { t, textSchema } from '../src/i18n.js';
import { deriveKey } from '../src/keys.js';
import { keyspace } from '../src/store/keyspace.js';
import { isFinished, type Run, type WorkflowEnv, type Workflows } from '../src/workflows/engine.js';
import { amountOf, KINDS, nounOf, type BulkKind, type KindName } from './bulk-kinds.js';
import { undoButton } from './undo.js';

export const WORKFLOW = 'bulk';
const DAY = 86_400_000;

const planRow = z.object({
  n: z.number(),
  label: z.string(),
  state: z.enum(['create', 'exists', 'invalid']),
  args: z.record(z.string(), z.unknown()).optional(),
  existing: z.string().optional(),
  problems: z.array(z.object({ column: z.string(), reason: textSchema })).optional(),
});
export const planSchema = z.object({
  id: z.string(),
  kind: z.enum(KINDS),
  author: z.string(),
  authorName: z.string(),
  createdAt: z.number(),
  rows: z.array(planRow),
  /** Set by Cancel before any Apply: the plan can no longer be applied. */
  cancelled: z.boolean().optional(),
});
export type Plan = z.infer<typeof planSchema>;

/** Plans outlive the undo window's start: a plan card may be applied a few days after it was made. */
export const plans = keyspace('bulk-plan', planSchema, 7 * DAY);

export const runIdOf = (planId: string): string => `bulk:${planId}`;
export const changeIdOf = (planId: string): string => `bulk:${planId}`;
const stepId = (n: number): string => `row-${n}`;
/** The row's idempotency key: the same on every attempt, after a crash and for a second Apply (≤ 50 chars). */
export const rowKey = (planId: string, n: number): string => deriveKey(planId, stepId(n));

/** Starts the plan's run unless it exists (atomic): a second Apply finds the first one's run. */
export async function startBatch(wf: Workflows, plan: Plan, cardMessageId: string | undefined): Promise<boolean> {
  return wf.start({
    id: runIdOf(plan.id),
    workflow: WORKFLOW,
    subject: plan.author,
    subjectName: plan.authorName,
    trigger: `/bulk ${plan.kind}`,
    startedBy: plan.author,
    input: { plan: plan.id, ...(cardMessageId ? { card: cardMessageId } : {}) },
    steps: plan.rows
      .filter((r) => r.state === 'create')
      .map((r) => ({
        id: stepId(r.n),
        label: t('bulk.row', { n: r.n, label: r.label }),
        needs: [],
        status: 'pending' as const,
      })),
  });
}

const inputSchema = z.object({ plan: z.string(), card: z.string().optional() });

/** The inverses of a run's done rows, in the order the rows ran. */
function inversesOf(run: Run): Inverse[] {
  return run.steps.flatMap((s) =>
    s.status === 'done' && s.result?.inverse ? z.array(inverseSchema).parse(JSON.parse(s.result.inverse)) : [],
  );
}

/**
 * Once nothing is left to run, the batch's undo record: made once, and rewritten with the rows a Retry added only
 * while none of it has been undone.
 */
async function recordBatch(store: HandlerStore, plan: Plan, kind: BulkKind, run: Run): Promise<string | undefined> {
  if (run.steps.some((s) => s.status === 'pending' || s.status === 'running')) return undefined;
  const inverse = inversesOf(run);
  if (!inverse.length) return undefined;
  const done = run.steps.filter((s) => s.status === 'done').length;
  const change = changeOf(
    {
      id: changeIdOf(plan.id),
      actor: plan.author,
      actorName: plan.authorName,
      kind: `bulk.${kind.name}`,
      rule: kind.command,
      title: t('bulk.plan.change', { what: amountOf(kind.name, done) }),
      at: run.updatedAt,
    },
    inverse,
  );
  const existing = await loadChange(store, change.id);
  if (!existing) await saveNew(store, change);
  else if (
    !existing.undone &&
    existing.steps.every((s) => s.state === 'pending') &&
    existing.steps.length !== change.steps.length
  )
    await saveChange(store, { ...change, at: existing.at });
  return change.id;
}

export interface RunActions {
  retry(plan: Plan): CardButton[];
}

/** The progress card of a plan's run (or of the plan alone, before it has one). */
export async function progressCard(
  store: HandlerStore,
  plan: Plan,
  kind: BulkKind,
  run: Run,
  actions: RunActions,
): Promise<Card> {
  const byStep = new Map(run.steps.map((s) => [s.id, s]));
  const finished = !run.steps.some((s) => s.status === 'pending' || s.status === 'running');
  const change = finished ? await recordBatch(store, plan, kind, run) : undefined;
  const failed = run.steps.some((s) => s.status === 'failed');
  return bulkProgressCard({
    noun: nounOf(kind.name),
    finished,
    rows: plan.rows.map((r) => {
      if (r.state === 'exists') return { n: r.n, label: r.label, state: 'exists', detail: r.existing };
      if (r.state === 'invalid')
        return {
          n: r.n,
          label: r.label,
          state: 'invalid',
          ...(r.problems?.[0] ? { reason: r.problems[0].reason } : {}),
        };
      const s = byStep.get(stepId(r.n));
      const state =
        s?.status === 'done' ? 'done' : s?.status === 'failed' || s?.status === 'blocked' ? 'failed' : 'left';
      return {
        n: r.n,
        label: r.label,
        state,
        ...(s?.detail ? { detail: s.detail } : {}),
        ...(s?.reason ? { reason: s.reason } : {}),
      };
    }),
    actions: [...(finished && failed ? actions.retry(plan) : []), ...(finished ? undoButton(change) : [])],
  });
}

/** Patches at most this often while rows run; the last state always shows. */
const SHOW_EVERY_MS = 1_000;

/** The workflow's definition: each step is one row, applied by its kind. */
export function defineBatch(wf: Workflows, kinds: Record<KindName, BulkKind>, actions: RunActions): void {
  const shown = new Map<string, number>();
  const planOf = async (env: WorkflowEnv, run: Run): Promise<Plan> => {
    const plan = await plans.get(env.store, inputSchema.parse(run.input).plan);
    if (!plan) throw new Error(`the plan of ${run.id} is gone`);
    return plan;
  };
  wf.define(WORKFLOW, {
    async execute(env, run, step, resumed) {
      const plan = await planOf(env, run);
      const row = plan.rows.find((r) => stepId(r.n) === step.id);
      if (!row?.args) throw new Error(`${run.id} has no row for ${step.id}`);
      const done = await kinds[plan.kind].apply(env, row.args, {
        key: rowKey(plan.id, row.n),
        resumed,
        author: { openId: plan.author, name: plan.authorName },
        workflows: wf,
      });
      return { status: 'done', detail: done.detail, result: { inverse: JSON.stringify(done.inverse) } };
    },
    async onChange(env, run) {
      const card = inputSchema.parse(run.input).card;
      if (!card) return;
      const last = shown.get(run.id) ?? 0;
      const over = isFinished(run) || !run.steps.some((s) => s.status === 'pending' || s.status === 'running');
      if (!over && Date.now() - last < SHOW_EVERY_MS) return;
      shown.set(run.id, Date.now());
      if (over) shown.delete(run.id);
      const plan = await planOf(env, run);
      await env.gateway.im.patchCard(card, await progressCard(env.store, plan, kinds[plan.kind], run, actions));
    },
  });
}
