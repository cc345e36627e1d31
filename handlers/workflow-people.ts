/**
 * Whom a workflow command (/onboard, /offboard) is for: its @mentions and the people its `email=a@x,b@x` names. Bad
 * input is answered with an error card; addresses that match nobody are listed, to be reported after the work.
 */
import { z } from 'zod';
import { errorCard, type Bilingual, type Card } from '../cards/index.js';
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
    steps: readonly { id: string; label: Bilingual; needs: string[] }[];
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
          title: { zh: '邮箱列表有误', en: 'Invalid address list' },
          problems: [
            {
              zh: 'email= 应为逗号分隔的邮箱地址（最多 200 个）',
              en: 'email= must be comma-separated addresses (at most 200)',
            },
          ],
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
    title: { zh: '有邮箱找不到对应的人', en: 'Some addresses match nobody' },
    problems: unknown.map((u) => ({
      zh: `${u}：通讯录里没有，或不在应用可见范围`,
      en: `${u}: not in the directory, or not visible to the app`,
    })),
    nextStep: {
      zh: '检查地址（用联系邮箱，不是企业邮箱）后再试',
      en: 'Check the addresses (contact email, not the enterprise mailbox), then try again',
    },
  });
