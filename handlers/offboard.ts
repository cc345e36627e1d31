/**
 * Offboarding: the workflow in app.config.json `offboarding` run for someone who left, as a durable run
 * (src/workflows) on the same engine as onboarding. Triggers: contact.user.deleted_v3 (as `offboarding.runAs`,
 * default the first admin, checked against commands.offboard.allow like a person), `/offboard @user`,
 * `/offboard email=a@x,b@x` (admins by default). `--dry-run` shows every step with its resolved values and what
 * would need a person, and changes nothing. `/offboard status [person]`: recent runs, or one person's step by step.
 * One run per leaver (its id is `offboard:<open_id>`): announcing them again starts nothing new, and a run a crash
 * interrupted resumes where it stopped. Steps are in offboard-steps.ts; the progress card is workflow-progress.ts's.
 */
import { z } from 'zod';
import { successCard, workflowPlanCard } from '../cards/index.js';
import type { App } from '../src/app.js';
import { msg, type CommandSpec } from '../src/commands/spec.js';
import type { AppConfig } from '../src/config.js';
import type { FeishuPorts } from '../src/feishu/ports.js';
import { t } from '../src/i18n.js';
import { permission } from '../src/middleware/authorize.js';
import type { Workflows } from '../src/workflows/engine.js';
import { at, chatProblem } from './onboard-checks.js';
import { leaverSchema, resolveLeaver, type KnownLeaver } from './offboard-leaver.js';
import { execute, labelOf, planOf } from './offboard-steps.js';
import { userRef, type Ctx } from './provision.js';
import { workflowProgress } from './workflow-progress.js';
import { notSetUp, peopleOf, startPersonRun, stepList, unknownCard, type StartResult } from './workflow-people.js';
import { registerWorkflowStatus, statusArgs, type StatusArgs } from './workflow-status.js';

const WORKFLOW = 'offboard' as const;
const OFFBOARD = { kind: 'command', key: 'offboard' } as const;
/** Who may offboard when app.config.json names no rule. */
const DEFAULT_ALLOW = ['admins'] as const;

export const offboardProgress = workflowProgress({
  workflow: 'offboard',
  adminChat: (app) => app.offboarding.adminChat,
});

/**
 * Starts (or finds) the leaver's run, and stops their onboarding; driving it is separate, so a command can answer
 * first.
 */
async function startRun(
  wf: Workflows,
  g: FeishuPorts,
  app: AppConfig,
  who: { openId: string; known?: KnownLeaver },
  trigger: string,
  startedBy: string | undefined,
): Promise<StartResult> {
  const started = await startPersonRun(wf, {
    workflow: WORKFLOW,
    openId: who.openId,
    trigger,
    startedBy,
    steps: app.offboarding.steps.map((s) => ({ id: s.id, label: labelOf(s), needs: s.needs })),
    resolve: () => resolveLeaver(g.directory, who.openId, who.known),
  });
  // For a run that exists too: a crash may have come between starting it and this.
  await stopOnboarding(wf, who.openId, started.run.subjectName);
  return started;
}

/**
 * Their onboarding goes no further: what has not run or waits (the welcome mail for its sender's sign-in) is skipped,
 * before any step of the offboarding reverses what the onboarding did.
 */
async function stopOnboarding(wf: Workflows, openId: string, name: string): Promise<void> {
  await wf.skipOpen(`onboard:${openId}`, t('offboard.onboardingStopped', { name }));
}

const args = z
  .object({
    users: z.array(userRef).default([]).describe(msg('offboard.args.users')),
    email: z.string().optional().describe(msg('offboard.args.email')),
    'dry-run': z.boolean().default(false).describe(msg('workflow.args.dryRun')),
  })
  .refine((a) => a.users.length > 0 || a.email !== undefined, {
    path: ['users'],
    message: msg('offboard.args.needLeaver'),
  });

/** The summary lists the configured steps, so `/help offboard` shows the workflow that would run. */
export const offboardSpec = (app: AppConfig): CommandSpec<typeof args> => ({
  summary: t('offboard.summary', {
    steps: stepList(app.offboarding.enabled ? app.offboarding.steps : [], labelOf),
  }),
  usage: '/offboard @离职员工… | email=a@x,b@x [--dry-run]',
  examples: ['/offboard email=liuyang@example.com --dry-run', '/offboard email=liuyang@example.com'],
  args,
  mentions: 'users',
  allow: DEFAULT_ALLOW,
});

export const offboardStatusSpec: CommandSpec<StatusArgs> = {
  summary: t('offboard.statusSummary'),
  usage: '/offboard status [离职员工 person | @离职员工]',
  examples: ['/offboard status', '/offboard status 刘洋', '/offboard status liuyang@example.com'],
  args: statusArgs(msg('offboard.args.status')),
  // Every word: an English name has a space in it.
  rest: 'person',
  mentions: 'users',
  allow: DEFAULT_ALLOW,
};

async function offboardCommand(ctx: Ctx, a: z.infer<typeof args>, wf: Workflows): Promise<void> {
  const app = ctx.config.app;
  if (!app.offboarding.enabled || !app.offboarding.steps.length) {
    await ctx.reply(notSetUp('offboard', 'offboarding'));
    return;
  }
  // People who have left are still found by address: that is whom this command is for.
  const people = await peopleOf(ctx, a, { command: 'offboard', includeResigned: true });
  if (!people) return;
  const mentioned = new Map(a.users.map((u) => [u.openId, { name: u.name }]));
  const who = people.openIds.map((openId) => ({ openId, known: mentioned.get(openId) }));
  if (a['dry-run']) {
    const admin = app.offboarding.adminChat;
    const adminProblem = admin ? await chatProblem(ctx.gateway, admin) : undefined;
    for (const w of who) {
      const leaver = await resolveLeaver(ctx.gateway.directory, w.openId, w.known);
      const plan = await planOf(ctx.gateway, app, leaver, await wf.get(`onboard:${w.openId}`));
      await ctx.reply(
        workflowPlanCard({
          workflow: 'offboard',
          subject: leaver.name,
          steps: plan,
          adminChat: adminProblem ? [at('offboarding.adminChat', adminProblem)] : [],
        }),
      );
    }
    if (people.unknown.length) await ctx.reply(unknownCard(people.unknown));
    return;
  }
  const trigger = `/offboard · ${ctx.sender.name ?? ctx.sender.openId}`;
  const started = await Promise.all(who.map((w) => startRun(wf, ctx.gateway, app, w, trigger, ctx.sender.openId)));
  await ctx.audit(
    'offboard.start',
    people.openIds.join(','),
    'ok',
    `${started.filter((s) => s.state === 'started').length} started`,
  );
  const names = (state: StartResult['state']) =>
    started
      .filter((s) => s.state === state)
      .map((s) => s.run.subjectName)
      .join('、') || '—';
  await ctx.reply(
    successCard({
      title: t('offboard.title'),
      summary: app.offboarding.adminChat ? t('workflow.progressInAdminChat') : t('offboard.leaderTold'),
      fields: [
        { label: t('workflow.started'), value: names('started') },
        { label: t('offboard.alreadyRunning'), value: names('exists') },
      ],
      ...(people.unknown.length ? { list: { label: t('workflow.unknownAddresses'), items: people.unknown } } : {}),
    }),
  );
  // Existing runs are driven too: one a crash interrupted finishes; a finished one has nothing left to do.
  await Promise.all(started.map((s) => wf.driveEventually(s.run.id)));
}

export function registerOffboard(app: App): void {
  const wf = app.workflows;
  wf.define(WORKFLOW, {
    execute: (env, run, state) => execute(env, run, state, wf),
    onChange: offboardProgress.showProgress,
  });
  app.command('offboard', offboardSpec(app.config.app), (ctx, a) => offboardCommand(ctx, a, wf));
  offboardProgress.registerActions(app, wf);
  registerWorkflowStatus(app, wf, {
    workflow: WORKFLOW,
    spec: offboardStatusSpec,
    names: (run) => leaverSchema.safeParse(run.input).data?.emails ?? [],
    progress: offboardProgress.currentProgress,
    example: '刘洋',
  });

  app.event('contact.user.deleted_v3', async (ctx, e) => {
    const config = ctx.config.app;
    if (!config.offboarding.enabled || !config.offboarding.steps.length) return;
    const actor = config.offboarding.runAs ?? config.admins[0];
    const verdict = permission(config, OFFBOARD, actor, DEFAULT_ALLOW);
    if (!verdict.ok) {
      ctx.outcome = 'refused';
      ctx.logger.warn(
        { actor, allow: verdict.allow },
        'offboarding automation refused by commands.offboard.allow: set offboarding.runAs or admins',
      );
      await ctx.audit('offboard.refused', e.object.open_id, 'refused');
      return;
    }
    const { run } = await startRun(
      wf,
      ctx.gateway,
      config,
      { openId: e.object.open_id, known: e.object },
      'contact.user.deleted_v3',
      actor,
    );
    // Awaited: the inbox item stays leased until the run has been driven, so a crash redelivers the event.
    await wf.driveEventually(run.id);
  });
}
