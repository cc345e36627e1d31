/**
 * `/onboard status`: recent runs, each with the steps that failed; `/onboard status <hire>` (a name, an address, an
 * open_id or an @mention): that hire's run step by step, as its progress card shows it (state, what was made, and
 * for failures the reason), with Retry and Skip.
 */
import { z } from 'zod';
import { errorCard, onboardRunsCard } from '../cards/index.js';
import type { App } from '../src/app.js';
import type { CommandSpec } from '../src/commands/spec.js';
import type { Run, Workflows } from '../src/workflows/engine.js';
import { currentProgress } from './onboard-progress.js';
import { userRef, type Ctx } from './provision.js';

/** How many runs a name is looked for in (the index keeps the 200 most recent). */
const SEARCHED = 200;
/** Runs shown when a name matches several hires. */
const SHOWN = 5;

const statusArgs = z.object({
  hire: z
    .array(z.string())
    .default([])
    .transform((words) => words.join(' ') || undefined)
    .describe('新员工的姓名、邮箱或 open_id / the hire\u2019s name, address or open_id'),
  users: z.array(userRef).max(SHOWN).default([]).describe('新员工 / new hires'),
});

export const onboardStatusSpec: CommandSpec<typeof statusArgs> = {
  summary: {
    zh: '查看最近的入职流程；写上新员工则显示其每个步骤',
    en: 'List recent onboarding runs; name a hire to see each step of theirs',
  },
  usage: '/onboard status [新员工 hire | @新员工]',
  examples: [
    '/onboard status',
    '/onboard status 刘洋',
    '/onboard status Liu Yang',
    '/onboard status liuyang@example.com',
  ],
  args: statusArgs,
  // Every word: an English name has a space in it.
  rest: 'hire',
  mentions: 'users',
};

const FINISHED = new Set(['done', 'skipped', 'not_applicable']);
const FAILED = new Set(['failed', 'blocked']);

const matches = (run: Run, typed: string): boolean => {
  const t = typed.toLowerCase();
  return [run.subjectName, run.input.en_name, run.input.email].some(
    (v) => typeof v === 'string' && v.toLowerCase() === t,
  );
};

/**
 * The hire's runs: by open_id (mentioned or typed), else by name, English name or enterprise address among the recent
 * runs, else by a contact address through the directory.
 */
async function runsOf(ctx: Ctx, wf: Workflows, a: z.infer<typeof statusArgs>): Promise<Run[]> {
  const ids = a.users.map((u) => u.openId);
  if (a.hire?.startsWith('ou_')) ids.push(a.hire);
  if (ids.length) return (await Promise.all(ids.map((id) => wf.get(`onboard:${id}`)))).filter((r) => r !== undefined);
  const typed = a.hire ?? '';
  const found = (await wf.list(SEARCHED)).filter((r) => r.workflow === 'onboard' && matches(r, typed));
  if (found.length || !typed.includes('@')) return found;
  const [openId] = (await ctx.gateway.directory.openIdsByEmail([typed])).values();
  const run = openId && (await wf.get(`onboard:${openId}`));
  return run ? [run] : [];
}

export function registerOnboardStatus(app: App, wf: Workflows): void {
  app.command('onboard status', onboardStatusSpec, async (ctx, a) => {
    if (a.hire === undefined && !a.users.length) {
      // Other workflows (a /bulk batch) keep runs in the same list.
      const runs = (await wf.list(20)).filter((r) => r.workflow === 'onboard');
      await ctx.reply(
        onboardRunsCard({
          runs: runs.map((r) => ({
            hire: r.subjectName,
            trigger: r.trigger,
            total: r.steps.length,
            done: r.steps.filter((s) => FINISHED.has(s.status)).length,
            failed: r.steps.filter((s) => FAILED.has(s.status)).map((s) => s.id),
            waiting: r.steps.filter((s) => s.status === 'waiting').length,
            at: new Date(r.createdAt).toISOString().slice(0, 16).replace('T', ' '),
          })),
        }),
      );
      return;
    }
    const runs = await runsOf(ctx, wf, a);
    if (!runs.length) {
      const who = a.hire ?? a.users.map((u) => u.name).join('、');
      await ctx.reply(
        errorCard({
          title: { zh: '找不到这个入职流程', en: 'No such onboarding run' },
          problems: [{ zh: `没有 ${who} 的入职流程`, en: `There is no onboarding run for ${who}` }],
          nextStep: {
            zh: '用 /onboard status 查看最近的流程，再写上其中的姓名；或用 /onboard 开始',
            en: 'See recent runs with /onboard status and use a name from it, or start one with /onboard',
          },
          example: '/onboard status 刘洋',
        }),
      );
      return;
    }
    for (const run of runs.slice(0, SHOWN)) await ctx.reply(await currentProgress(ctx, run));
  });
}
