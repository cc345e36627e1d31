/**
 * Whom a workflow command (/onboard, /offboard) is for: its @mentions and the people its `email=a@x,b@x` names. Bad
 * input is answered with an error card; addresses that match nobody are listed, to be reported after the work.
 */
import { z } from 'zod';
import { errorCard, type Card, type WorkflowKind } from '../cards/index.js';
import { compose, t, type Text } from '../src/i18n.js';
import type { Run, Workflows } from '../src/workflows/engine.js';
import type { Ctx, UserRef } from './provision.js';

export type StartResult = { state: 'started' | 'exists'; run: Run };

/**
 * Starts (or finds) `workflow`'s run for one person (id `<workflow>:<open_id>`): one run per person, however often it
 * is asked for. `resolve` looks the person up only for a new run; driving it is separate, so a command answers first.
 * `startedBy`: who asked (a person's command, or the automation's runAs), who may undo what the run did.
 */
export async function startPersonRun<P extends { name: string }>(
  wf: Workflows,
  o: {
    workflow: string;
    openId: string;
    trigger: string;
    startedBy?: string | undefined;
    steps: readonly { id: string; label: Text; needs: string[] }[];
    resolve: () => Promise<P>;
  },
): Promise<StartResult> {
  const id = `${o.workflow}:${o.openId}`;
  const existing = await wf.get(id);
  if (existing) return { state: 'exists', run: existing };
  const person = await o.resolve();
  const created = await wf.start({
    id,
    workflow: o.workflow,
    subject: o.openId,
    subjectName: person.name,
    trigger: o.trigger,
    ...(o.startedBy ? { startedBy: o.startedBy } : {}),
    input: person,
    steps: o.steps.map((s) => ({ ...s, status: 'pending' as const })),
  });
  return { state: created ? 'started' : 'exists', run: (await wf.get(id))! };
}

const emailList = z.array(z.email()).min(1).max(200);

export async function peopleOf(
  ctx: Ctx,
  a: { users: UserRef[]; email?: string | undefined },
  o: { command: string; includeResigned?: boolean },
): Promise<{ openIds: string[]; unknown: string[] } | undefined> {
  const unknown: string[] = [];
  const ids = a.users.map((u) => u.openId);
  if (a.email !== undefined) {
    const parsed = emailList.safeParse(a.email.split(/[,，\s]+/).filter(Boolean));
    if (!parsed.success) {
      await ctx.reply(
        errorCard({
          title: t('workflow.badAddressesTitle'),
          problems: [t('workflow.badAddresses')],
          example: `/${o.command} email=liuyang@example.com,yanglei@example.com`,
        }),
      );
      return undefined;
    }
    const found = await ctx.gateway.directory.openIdsByEmail(parsed.data, { includeResigned: o.includeResigned });
    for (const [address, openId] of found) {
      if (openId) ids.push(openId);
      else unknown.push(address);
    }
  }
  return { openIds: [...new Set(ids)], unknown };
}

export const unknownCard = (unknown: string[]): Card =>
  errorCard({
    title: t('workflow.unknownTitle'),
    problems: unknown.map((address) => t('workflow.unknownAddress', { address })),
    nextStep: t('workflow.unknownNext'),
  });

/** The answer to /onboard or /offboard when app.config.json `section` has no workflow to run. */
export const notSetUp = (workflow: WorkflowKind, section: 'onboarding' | 'offboarding'): Card =>
  errorCard({
    title: t(`${workflow}.disabledTitle`),
    problems: [t('workflow.disabled', { section })],
    nextStep: t('workflow.disabledNext', { section }),
  });

/** The configured steps, numbered one a line, for a command's summary in /help. */
export function stepList<S>(steps: readonly S[], label: (step: S) => Text): Text {
  if (!steps.length) return t('workflow.noSteps');
  return compose((say) => steps.map((s, i) => `${i + 1}. ${say(label(s))}`).join('\n'));
}
