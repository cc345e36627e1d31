/**
 * Onboarding: the workflow in app.config.json `onboarding` run for a new hire, as a durable run (src/workflows).
 * Triggers: contact.user.created_v3 (as `onboarding.runAs`, default the first admin, checked against
 * commands.onboard.allow like a person, and asking for the approval commands.onboard.approve names, if any),
 * `/onboard @user`, `/onboard email=a@x,b@x`. `/onboard … --dry-run` shows
 * the plan with every resolved value and what a run would meet, and changes nothing; `/onboard status` is in
 * onboard-status.ts.
 * One run per hire (its id is the hire's open_id): announcing the hire again starts nothing new. Each step's effect
 * carries a key derived from the run and the step (chat and message uuids), or looks before it creates when an
 * earlier attempt may have reached Feishu (mail-group members, mail contacts).
 */
import { z } from 'zod';
import { successCard, workflowPlanCard } from '../cards/index.js';
import type { App } from '../src/app.js';
import type { Sealing } from '../src/auth/seal.js';
import { msg, type CommandSpec } from '../src/commands/spec.js';
import type { AppConfig } from '../src/config.js';
import { displayName } from '../src/feishu/directory-cache.js';
import type { FeishuPorts } from '../src/feishu/ports.js';
import { t } from '../src/i18n.js';
import { approvalRule } from '../src/middleware/approval.js';
import { permission } from '../src/middleware/authorize.js';
import { listOf } from '../src/i18n.js';
import type { Workflows } from '../src/workflows/engine.js';
import { checkWorkflow, emptyFields, type SignedIn } from './onboard-checks.js';
import { onboardProgress, showProgress } from './onboard-progress.js';
import { registerOnboardStatus } from './onboard-status.js';
import { execute, labelOf, planOf } from './onboard-steps.js';
import { resolveHire } from './onboard-hire.js';
import { userRef, type Ctx } from './provision.js';
import { notSetUp, peopleOf, startPersonRun, stepList, unknownCard, type StartResult } from './workflow-people.js';
import type { MailAuth } from './sign-in.js';

const WORKFLOW = 'onboard';
const ONBOARD = { kind: 'command', key: 'onboard' } as const;

/** Starts (or finds) the hire's run; driving it is separate, so a command can answer first. */
export const startRun = (
  wf: Workflows,
  g: FeishuPorts,
  app: AppConfig,
  openId: string,
  trigger: string,
  startedBy?: string,
): Promise<StartResult> =>
  startPersonRun(wf, {
    workflow: WORKFLOW,
    openId,
    trigger,
    startedBy,
    steps: app.onboarding.steps.map((s) => ({ id: s.id, label: labelOf(s), needs: s.needs })),
    resolve: () => resolveHire(g.directory, app, openId),
  });

const args = z
  .object({
    users: z.array(userRef).default([]).describe(msg('onboard.args.users')),
    email: z.string().optional().describe(msg('onboard.args.email')),
    'dry-run': z.boolean().default(false).describe(msg('workflow.args.dryRun')),
  })
  .refine((a) => a.users.length > 0 || a.email !== undefined, {
    path: ['users'],
    message: msg('onboard.args.needHire'),
  });

/** The summary lists the configured steps, so `/help onboard` shows the workflow that would run. */
export const onboardSpec = (app: AppConfig): CommandSpec<typeof args> => ({
  summary: t('onboard.summary', {
    steps: stepList(app.onboarding.enabled ? app.onboarding.steps : [], (s) =>
      s.departments
        ? t('onboard.stepForDepartments', { label: labelOf(s), departments: listOf(s.departments) })
        : labelOf(s),
    ),
  }),
  usage: '/onboard @新员工… | email=a@x,b@x [--dry-run]',
  examples: ['/onboard email=liuyang@example.com --dry-run', '/onboard email=liuyang@example.com,yanglei@example.com'],
  args,
  mentions: 'users',
});

async function onboardCommand(ctx: Ctx, a: z.infer<typeof args>, wf: Workflows, signedIn?: SignedIn): Promise<void> {
  const app = ctx.config.app;
  if (!app.onboarding.enabled || !app.onboarding.steps.length) {
    await ctx.reply(notSetUp('onboard', 'onboarding'));
    return;
  }
  const people = await peopleOf(ctx, a, { command: 'onboard' });
  if (!people) return;
  const { openIds: unique, unknown } = people;
  if (a['dry-run']) {
    const checked = unique.length ? await checkWorkflow(ctx.gateway, app, signedIn) : undefined;
    for (const openId of unique) {
      const hire = await resolveHire(ctx.gateway.directory, app, openId);
      const plan = await planOf(ctx.gateway, app, hire);
      const blanks = emptyFields(app, hire);
      const problems = (id = '') => [...(checked?.steps.get(id) ?? []), ...(blanks.get(id) ?? [])];
      await ctx.reply(
        workflowPlanCard({
          workflow: 'onboard',
          subject: hire.name,
          steps: plan.map((s, i) => ({ ...s, problems: problems(app.onboarding.steps[i]?.id) })),
          adminChat: checked?.adminChat,
        }),
      );
    }
    if (unknown.length) await ctx.reply(unknownCard(unknown));
    return;
  }
  const trigger = `/onboard · ${ctx.sender.name ?? (await displayName(ctx.gateway.directory, ctx.sender.openId))}`;
  const started = await Promise.all(
    unique.map((openId) => startRun(wf, ctx.gateway, app, openId, trigger, ctx.sender.openId)),
  );
  await ctx.audit(
    'onboard.start',
    unique.join(','),
    'ok',
    `${started.filter((s) => s.state === 'started').length} started`,
  );
  await ctx.reply(
    successCard({
      title: t('onboard.title'),
      summary: app.onboarding.adminChat ? t('workflow.progressInAdminChat') : t('onboard.seeStatus'),
      // A row with nobody in it says nothing: only the rows that name someone are shown.
      fields: [
        { label: t('workflow.started'), value: names(started, 'started') },
        { label: t('onboard.alreadyRunning'), value: names(started, 'exists') },
      ].filter((f) => f.value),
      ...(unknown.length ? { list: { label: t('workflow.unknownAddresses'), items: unknown } } : {}),
    }),
  );
  // Existing runs are driven too: one a crash interrupted finishes; a finished one has nothing left to do.
  await Promise.all(started.map((s) => wf.driveEventually(s.run.id)));
}

const names = (list: StartResult[], state: StartResult['state']): string =>
  list
    .filter((s) => s.state === state)
    .map((s) => s.run.subjectName)
    .join('、');

/**
 * `sealer` seals the record of the welcome draft it makes (see draft.ts). `auth`: the token vault, which the dry run
 * asks whether the welcome mail's senders are signed in (a bot without sign-in cannot draft it, and skips the check).
 */
export function registerOnboard(app: App, sealer: Sealing, auth?: Pick<MailAuth, 'status'>): void {
  const signedIn: SignedIn | undefined = auth && (async (openId) => (await auth.status(openId)).signedIn);
  const wf = app.workflows;
  wf.define(WORKFLOW, {
    execute: (env, run, state, resumed) => execute(env, run, state, resumed, sealer),
    onChange: showProgress,
  });

  app.command('onboard', onboardSpec(app.config.app), (ctx, a) => onboardCommand(ctx, a, wf, signedIn));
  registerOnboardStatus(app, wf);

  onboardProgress.registerActions(app, wf);

  app.event('contact.user.created_v3', async (ctx, e) => {
    const config = ctx.config.app;
    if (!config.onboarding.enabled || !config.onboarding.steps.length) return;
    const actor = config.onboarding.runAs ?? config.admins[0];
    const verdict = permission(config, ONBOARD, actor);
    if (!verdict.ok) {
      ctx.outcome = 'refused';
      ctx.logger.warn(
        { actor, allow: verdict.allow },
        'onboarding automation refused by commands.onboard.allow: set onboarding.runAs or admins',
      );
      await ctx.audit('onboard.refused', e.object.open_id, 'refused');
      return;
    }
    if (approvalRule(config, ONBOARD.key)) {
      if (!actor)
        return void ctx.logger.warn('onboarding needs an approval but has nobody to ask as: set onboarding.runAs');
      // An approval /onboard needs holds for the automation too: the run is asked for as `runAs`, like /onboard @hire
      // (an approver's request runs at once unless approvals.twoPersonRule).
      const name = e.object.name ?? e.object.open_id;
      await app.resume(
        { command: ONBOARD.key, args: { users: [{ openId: e.object.open_id, name }] }, text: `/onboard @${name}` },
        { openId: actor },
        { id: ctx.eventId, type: ctx.eventType, dedupeKey: `${ctx.dedupeKey}/onboard`, finalAttempt: ctx.finalAttempt },
      );
      return;
    }
    const { run } = await startRun(wf, ctx.gateway, config, e.object.open_id, 'contact.user.created_v3', actor);
    // Awaited: the inbox item stays leased until the run has been driven, so a crash redelivers the event.
    await wf.driveEventually(run.id);
  });
}
