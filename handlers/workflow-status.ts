/**
 * `/onboard status` and `/offboard status`: a workflow's recent runs, each with the steps that failed; with a person
 * (a name, an address, an open_id or an @mention), that person's run step by step, as its progress card shows it
 * (state, what was made, and for failures the reason), with Retry and Skip.
 */
import { z } from 'zod';
import { errorCard, workflowRunsCard, type Card, type WorkflowKind } from '../cards/index.js';
import type { App } from '../src/app.js';
import type { CommandSpec } from '../src/commands/spec.js';
import { t } from '../src/i18n.js';
import { listOf } from '../src/i18n.js';
import type { Run, WorkflowEnv, Workflows } from '../src/workflows/engine.js';
import { userRef, type Ctx } from './provision.js';

/** How many runs a name is looked for in (the index keeps the 200 most recent). */
const SEARCHED = 200;
/** Runs shown when a name matches several people. */
const SHOWN = 5;

/** `who` describes the person in the workflow's words (a new hire, someone who left). */
export const statusArgs = (who: string) =>
  z.object({
    person: z
      .array(z.string())
      .default([])
      .transform((words) => words.join(' ') || undefined)
      .describe(who),
    users: z.array(userRef).max(SHOWN).default([]).describe(who),
  });
export type StatusArgs = ReturnType<typeof statusArgs>;

export interface StatusOptions {
  workflow: WorkflowKind;
  spec: CommandSpec<StatusArgs>;
  /** Besides the run's subject name, what a typed name may equal (an English name, an address). */
  names(run: Run): unknown[];
  /** The run's progress card as it stands, with its buttons. */
  progress(env: WorkflowEnv, run: Run): Promise<Card>;
  /** A name for the error card's example. */
  example: string;
}

const FINISHED = new Set(['done', 'skipped', 'not_applicable', 'attention']);
const FAILED = new Set(['failed', 'blocked']);

export function registerWorkflowStatus(app: App, wf: Workflows, o: StatusOptions): void {
  const runId = (openId: string) => `${o.workflow}:${openId}`;
  const matches = (run: Run, typed: string): boolean => {
    const lower = typed.toLowerCase();
    return [run.subjectName, ...o.names(run)].some((v) => typeof v === 'string' && v.toLowerCase() === lower);
  };

  /**
   * The person's runs: by open_id (mentioned or typed), else by a name or address among the recent runs, else by a
   * contact address through the directory.
   */
  async function runsOf(ctx: Ctx, a: z.infer<StatusArgs>): Promise<Run[]> {
    const ids = a.users.map((u) => u.openId);
    if (a.person?.startsWith('ou_')) ids.push(a.person);
    if (ids.length) return (await Promise.all(ids.map((id) => wf.get(runId(id))))).filter((r) => r !== undefined);
    const typed = a.person ?? '';
    const found = (await wf.list(SEARCHED)).filter((r) => r.workflow === o.workflow && matches(r, typed));
    if (found.length || !typed.includes('@')) return found;
    const [openId] = (await ctx.gateway.directory.openIdsByEmail([typed], { includeResigned: true })).values();
    const run = openId && (await wf.get(runId(openId)));
    return run ? [run] : [];
  }

  app.command(`${o.workflow} status`, o.spec, async (ctx, a) => {
    if (a.person === undefined && !a.users.length) {
      // Other workflows (a /bulk batch, the other of on- and offboarding) keep runs in the same list.
      const runs = (await wf.list(SEARCHED)).filter((r) => r.workflow === o.workflow).slice(0, 20);
      await ctx.reply(
        workflowRunsCard({
          workflow: o.workflow,
          runs: runs.map((r) => ({
            subject: r.subjectName,
            trigger: r.trigger,
            total: r.steps.length,
            done: r.steps.filter((s) => FINISHED.has(s.status)).length,
            failed: r.steps.filter((s) => FAILED.has(s.status)).map((s) => s.id),
            waiting: r.steps.filter((s) => s.status === 'waiting').length,
            attention: r.steps.filter((s) => s.status === 'attention').length,
            at: new Date(r.createdAt).toISOString().slice(0, 16).replace('T', ' '),
          })),
        }),
      );
      return;
    }
    const runs = await runsOf(ctx, a);
    if (!runs.length) {
      const who = a.person ?? listOf(a.users.map((u) => u.name));
      const run = t(`${o.workflow}.runName`);
      await ctx.reply(
        errorCard({
          title: t('workflow.notFoundTitle', { run }),
          problems: [t('workflow.notFound', { run, who })],
          nextStep: t('workflow.notFoundNext', { command: o.workflow }),
          example: `/${o.workflow} status ${o.example}`,
        }),
      );
      return;
    }
    for (const run of runs.slice(0, SHOWN)) await ctx.reply(await o.progress(ctx, run));
  });
}
