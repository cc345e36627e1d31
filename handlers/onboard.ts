/**
 * Onboarding: the workflow in app.config.json `onboarding` run for a new hire, as a durable run (src/workflows).
 * Triggers: contact.user.created_v3 (as `onboarding.runAs`, default the first admin, checked against
 * commands.onboard.allow like a person), `/onboard @user`, `/onboard email=a@x,b@x`. `/onboard … --dry-run` shows
 * the plan with every resolved value and changes nothing; `/onboard status` lists recent runs.
 * One run per hire (its id is the hire's open_id): announcing the hire again starts nothing new. Each step's effect
 * carries a key derived from the run and the step (chat and message uuids), or looks before it creates when an
 * earlier attempt may have reached Feishu (mail-group members, mail contacts).
 */
import { z } from 'zod';
import {
  errorCard, escapeMd, hireWelcomeCard, onboardPlanCard, onboardProgressCard, onboardRunsCard, signInNeededCard, successCard,
  type Bilingual, type Card, type CardButton,
} from '../cards/index.js';
import { defineAction } from '../src/actions.js';
import type { App } from '../src/app.js';
import type { Sealing } from '../src/auth/seal.js';
import type { CommandSpec } from '../src/commands/spec.js';
import type { AppConfig, OnboardingStep } from '../src/config.js';
import { needsSignIn } from '../src/feishu/errors.js';
import { asUser, type DirectoryPort, type FeishuPorts } from '../src/feishu/ports.js';
import { deriveKey } from '../src/keys.js';
import { composeMail } from '../src/mail/compose.js';
import { permission } from '../src/middleware/authorize.js';
import type { Run, StepOutcome, StepState, WorkflowEnv, Workflows } from '../src/workflows/engine.js';
import { emlOf, offerDraft } from './draft.js';
import { checkUsers, userRef, type Ctx } from './provision.js';

const WORKFLOW = 'onboard';
const ONBOARD = { kind: 'command', key: 'onboard' } as const;

/** The hire's directory fields, resolved once when the run starts and kept on it. */
const hireSchema = z.object({
  openId: z.string(),
  name: z.string(),
  en_name: z.string(),
  email: z.string(),
  department: z.string(),
  departmentIds: z.array(z.string()),
  leader: z.string(),
  leaderOpenId: z.string().optional(),
  job_title: z.string(),
});
type Hire = z.infer<typeof hireSchema>;

const LABELS: Record<OnboardingStep['kind'], Bilingual> = {
  'add-to-chats': { zh: '加入群聊', en: 'Add to chats' },
  'team-chat': { zh: '创建团队群', en: 'Create the team chat' },
  mailgroups: { zh: '加入邮件组', en: 'Add to mail groups' },
  'mail-contact': { zh: '添加邮箱联系人', en: 'Add as mail contact' },
  'welcome-draft': { zh: '起草欢迎邮件', en: 'Draft the welcome mail' },
  'welcome-card': { zh: '发送欢迎卡片', en: 'Send the welcome card' },
};
const labelOf = (s: OnboardingStep): Bilingual => ({ zh: `${LABELS[s.kind].zh}（${s.id}）`, en: `${LABELS[s.kind].en} (${s.id})` });

/** A step that cannot succeed as configured: shown as ✗ with this reason (kind `invalid`, so it is not retried). */
class StepProblem extends Error {
  readonly kind = 'invalid';
  constructor(readonly problem: Bilingual) {
    super(problem.en);
  }

  explain(): { problem: Bilingual } {
    return { problem: this.problem };
  }
}

export async function resolveHire(directory: DirectoryPort, app: AppConfig, openId: string): Promise<Hire> {
  const u = await directory.getUser(openId);
  const leader = u.leaderUserId ? await directory.getUser(u.leaderUserId, 'user_id').catch(() => undefined) : undefined;
  const departmentIds = u.departmentIds ?? [];
  return {
    openId: u.openId,
    name: u.name,
    en_name: u.enName ?? u.name,
    email: u.enterpriseEmail ?? u.email ?? '',
    department: departmentIds.map((id) => app.onboarding.departments[id] ?? id).join('、'),
    departmentIds,
    leader: leader?.name ?? '',
    ...(leader ? { leaderOpenId: leader.openId } : {}),
    job_title: u.jobTitle ?? '',
  };
}

/**
 * The template with each {field} replaced by the hire's value, made literal by `literal` for the text it goes into
 * (a directory name such as `[Reset](https://…)` must not become a link); the template's own markup stays markup.
 * Plain text (a chat name, a subject, a card title) takes the value as it is.
 */
export const fill = (template: string, hire: Hire, literal: (value: string) => string = (v) => v): string =>
  template.replace(/\{([a-z_]+)\}/g, (_, f: string) => literal(String((hire as Record<string, unknown>)[f] ?? '')));

/**
 * A value made literal in a mail body's Markdown, as composeMail renders it (markdown-it, HTML off, linkify on): one
 * line, with every character that could start markup, an entity or an auto-linked address or URL backslash-escaped.
 */
const mailMarkdownLiteral = (value: string): string => value.replace(/\s+/g, ' ').trim().replace(/[\\`*_~[\]()<>#!&|:@.+=-]/g, '\\$&');

/** Why a step does not apply to this hire (its departments), or undefined when it does. */
function notFor(step: OnboardingStep, hire: Hire, app: AppConfig): Bilingual | undefined {
  if (!step.departments) return undefined;
  const names = hire.departmentIds.map((id) => app.onboarding.departments[id]);
  const inOne = step.departments.some((d) => hire.departmentIds.includes(d) || names.includes(d));
  return inOne ? undefined : { zh: `只用于部门：${step.departments.join('、')}`, en: `only for departments: ${step.departments.join(', ')}` };
}

/** A key for one step's effect in one run: the same on every attempt and after a crash (Feishu uuid ≤ 50 chars). */
const effectKey = (runId: string, stepId: string, what = ''): string => deriveKey(runId, stepId, what);

const stepOf = (app: AppConfig, id: string): OnboardingStep => {
  const s = app.onboarding.steps.find((x) => x.id === id);
  if (!s) throw new StepProblem({ zh: `配置里已没有步骤 ${id}`, en: `step ${id} is no longer in the configuration` });
  return s;
};

async function senderMailbox(directory: DirectoryPort, sender: string): Promise<{ address: string; name: string }> {
  const u = await directory.getUser(sender);
  if (!u.enterpriseEmail) throw new StepProblem({ zh: `发件人 ${u.name} 没有企业邮箱`, en: `the sender ${u.name} has no organisation mailbox` });
  return { address: u.enterpriseEmail, name: u.name };
}

/** What each step would do, with every value resolved: the dry run's plan. Reads only. */
async function planOf(g: FeishuPorts, app: AppConfig, hire: Hire): Promise<{ label: Bilingual; values: string[]; skipped?: Bilingual }[]> {
  return Promise.all(app.onboarding.steps.map(async (s) => {
    const label = labelOf(s);
    const skipped = notFor(s, hire, app);
    if (skipped) return { label, values: [], skipped };
    switch (s.kind) {
      case 'add-to-chats':
        return { label, values: s.chats.map((c) => `${hire.name} → ${c}`) };
      case 'team-chat':
        return { label, values: [`群名 name: ${fill(s.name, hire)}`, `成员 members: ${[hire.name, hire.leader].filter(Boolean).join('、')}`] };
      case 'mailgroups':
        return { label, values: s.mailgroups.map((m) => `${hire.email} → ${m}`) };
      case 'mail-contact':
        return { label, values: [`${hire.name} <${hire.email}> ${hire.job_title} → ${s.mailbox}`] };
      case 'welcome-draft': {
        const from = await senderMailbox(g.directory, s.sender).then((m) => m.address, (e: unknown) => (e instanceof StepProblem ? e.problem.en : String(e)));
        return { label, values: [`发件人 from: ${from}`, `收件人 to: ${hire.email}`, `主题 subject: ${fill(s.subject, hire)}`] };
      }
      case 'welcome-card':
        return { label, values: [`→ ${hire.name}: ${fill(s.title, hire)}`] };
    }
  }));
}

async function execute(env: WorkflowEnv, run: Run, state: StepState, resumed: boolean, sealer: Sealing): Promise<StepOutcome> {
  const app = env.config.app;
  const hire = hireSchema.parse(run.input);
  const step = stepOf(app, state.id);
  const skipped = notFor(step, hire, app);
  if (skipped) return { status: 'not_applicable', reason: skipped };
  const g = env.gateway;
  switch (step.kind) {
    case 'add-to-chats': {
      for (const chat of step.chats) {
        const r = await g.chats.addMembers(chat, [hire.openId]);
        if ([...r.invalidIds, ...r.notExistedIds].includes(hire.openId)) {
          throw new StepProblem({ zh: `无法把 ${hire.name} 加入群 ${chat}`, en: `${hire.name} could not be added to chat ${chat}` });
        }
      }
      return { status: 'done', detail: step.chats.join(', ') };
    }
    case 'team-chat': {
      const people = [{ openId: hire.openId, name: hire.name }, ...(hire.leaderOpenId ? [{ openId: hire.leaderOpenId, name: hire.leader }] : [])];
      const { usable } = await checkUsers(g.directory, people);
      const owner = usable.find((u) => u.openId === hire.leaderOpenId) ?? usable[0];
      if (!owner) throw new StepProblem({ zh: `${hire.name} 不在应用的通讯录范围内`, en: `${hire.name} is outside the app's contact scope` });
      const chat = await g.chats.create({
        name: fill(step.name, hire),
        description: step.description ? fill(step.description, hire) : undefined,
        ownerId: owner.openId,
        userIds: usable.filter((u) => u.openId !== owner.openId).map((u) => u.openId),
        chatType: 'private',
      }, { uuid: effectKey(run.id, step.id) });
      return { status: 'done', detail: `${chat.name} ${chat.chatId}`, result: { chatId: chat.chatId } };
    }
    case 'mailgroups': {
      for (const address of step.mailgroups) {
        const group = await g.mailgroups.get(address);
        if (!group) throw new StepProblem({ zh: `邮件组 ${address} 不存在`, en: `there is no mail group ${address}` });
        await g.mailgroups.addMembers(group.mailgroupId, [{ type: 'USER', userId: hire.openId }], { mayExist: resumed });
      }
      return { status: 'done', detail: step.mailgroups.join(', ') };
    }
    case 'mail-contact': {
      const { contactId } = await g.mailbox.createContact(step.mailbox, {
        name: hire.name, mailAddress: hire.email || undefined, position: hire.job_title || undefined,
      }, { mayExist: resumed });
      return { status: 'done', detail: `${step.mailbox} #${contactId}`, result: { contactId } };
    }
    case 'welcome-draft': {
      const from = await senderMailbox(g.directory, step.sender);
      const subject = fill(step.subject, hire);
      const body = fill(step.body, hire, mailMarkdownLiteral);
      const composed = await composeMail({ from, to: [{ address: hire.email, name: hire.name }], subject, body }, { messageIdSeed: `${run.id}|${step.id}` });
      if (!composed.ok) throw new StepProblem({ zh: composed.problems.map((p) => p.zh).join('；'), en: composed.problems.map((p) => p.en).join('; ') });
      try {
        const { draftId } = await g.mailbox.createDraft(from.address, emlOf(composed.mail), { as: asUser(step.sender) });
        // The sender reviews it and sends it from the same preview card a /draft gets.
        await offerDraft({ kv: env.store, sealer, im: g.im }, draftId, {
          author: step.sender, mailbox: from.address, fromName: from.name, to: [hire.email], cc: [], bcc: [], subject, body, size: composed.mail.size,
        }, effectKey(run.id, step.id, 'preview'));
        return { status: 'done', detail: `${from.address} draft ${draftId}`, result: { draftId } };
      } catch (err) {
        // Before the call (the vault has no usable sign-in) or from Feishu (the authorisation is gone): either way, wait.
        if (!needsSignIn(err)) throw err;
        const why: Bilingual = {
          zh: `${hire.name} 的欢迎邮件需要在你的邮箱里起草。`, en: `The welcome mail for ${hire.name} is to be drafted in your mailbox.`,
        };
        // One card per wait: its uuid is the step's, so a second attempt within Feishu's hour does not post again.
        await g.im.sendCard({ openId: step.sender }, signInNeededCard({ why }), { uuid: effectKey(run.id, step.id, `sign-in:${state.attempts}`) });
        return { status: 'waiting', waitingFor: step.sender, reason: { zh: `等待 ${from.name} 登录`, en: `waiting for ${from.name} to sign in` } };
      }
    }
    case 'welcome-card': {
      const { messageId } = await g.im.sendCard({ openId: hire.openId }, hireWelcomeCard({ title: fill(step.title, hire), body: fill(step.body, hire, escapeMd) }),
        { uuid: effectKey(run.id, step.id) });
      return { status: 'done', detail: messageId, result: { messageId } };
    }
  }
}

// The onboard rule guards the buttons too: whoever may not run /onboard may not retry or skip its steps.
export const retryAction = defineAction('onboard.retry', z.object({ run: z.string().min(1) }), { follows: 'onboard', progress: { zh: '正在重试', en: 'Retrying' } });
export const skipAction = defineAction('onboard.skip', z.object({ run: z.string().min(1), step: z.string().min(1) }), { follows: 'onboard', progress: { zh: '正在跳过', en: 'Skipping' } });

function progressOf(run: Run): Card {
  const open = run.steps.filter((s) => s.status === 'failed' || s.status === 'blocked' || s.status === 'waiting');
  const actions: CardButton[] = [
    ...(run.steps.some((s) => s.status === 'failed' || s.status === 'blocked')
      ? [retryAction.button({ run: run.id }, { label: { zh: '重试失败的步骤', en: 'Retry failed steps' }, style: 'primary' })]
      : []),
    ...open.map((s) => skipAction.button({ run: run.id, step: s.id }, {
      label: { zh: `跳过 ${s.id}`, en: `Skip ${s.id}` }, confirm: { zh: `跳过步骤 ${s.id}？`, en: `Skip step ${s.id}?` },
    })),
  ];
  return onboardProgressCard({
    hire: run.subjectName,
    trigger: run.trigger,
    steps: run.steps.map((s) => ({ label: s.label, state: s.status, ...(s.detail ? { detail: s.detail } : {}), ...(s.reason ? { reason: s.reason } : {}) })),
    actions,
  });
}

async function showProgress(env: WorkflowEnv, run: Run): Promise<Record<string, string> | void> {
  const chat = env.config.app.onboarding.adminChat;
  if (!chat) return;
  const card = progressOf(run);
  const existing = run.meta.progress;
  if (existing) return void await env.gateway.im.patchCard(existing, card);
  // The uuid makes the first post once-only even if the run record lost the message id in a crash.
  const { messageId } = await env.gateway.im.sendCard({ chatId: chat }, card, { uuid: effectKey(run.id, 'progress') });
  return { progress: messageId };
}

type StartResult = { state: 'started' | 'exists'; run: Run };

/** Starts (or finds) the hire's run; driving it is separate, so a command can answer first. */
async function startRun(wf: Workflows, g: FeishuPorts, app: AppConfig, openId: string, trigger: string): Promise<StartResult> {
  const id = `onboard:${openId}`;
  const existing = await wf.get(id);
  if (existing) return { state: 'exists', run: existing };
  const hire = await resolveHire(g.directory, app, openId);
  const created = await wf.start({
    id, workflow: WORKFLOW, subject: openId, subjectName: hire.name, trigger, input: hire,
    steps: app.onboarding.steps.map((s) => ({ id: s.id, label: labelOf(s), needs: s.needs, status: 'pending' as const })),
  });
  return { state: created ? 'started' : 'exists', run: (await wf.get(id))! };
}

const args = z.object({
  users: z.array(userRef).default([]).describe('新员工 / new hires'),
  email: z.string().optional().describe('新员工邮箱，逗号分隔 / new hires\' addresses, comma-separated'),
  'dry-run': z.boolean().default(false).describe('只显示计划，不做任何改动 / show the plan, change nothing'),
}).refine((a) => a.users.length > 0 || a.email !== undefined, {
  path: ['users'], message: '请 @ 新员工或写 email=… / mention the new hire or give email=…',
});

/** The summary lists the configured steps, so `/help onboard` shows the workflow that would run. */
export const onboardSpec = (app: AppConfig): CommandSpec<typeof args> => ({
  summary: {
    zh: `为新员工运行入职流程。步骤：\n${workflowSteps(app, 'zh')}`,
    en: `Run the onboarding workflow for new hires. Steps:\n${workflowSteps(app, 'en')}`,
  },
  usage: '/onboard @新员工… | email=a@x,b@x [--dry-run]',
  examples: ['/onboard email=liuyang@example.com --dry-run', '/onboard email=liuyang@example.com,yanglei@example.com'],
  args,
  mentions: 'users',
});

const statusArgs = z.object({});
export const onboardStatusSpec: CommandSpec<typeof statusArgs> = {
  summary: { zh: '查看最近的入职流程', en: 'List recent onboarding runs' },
  usage: '/onboard status',
  examples: ['/onboard status'],
  args: statusArgs,
};

const emailList = z.array(z.email()).min(1).max(200);

function workflowSteps(app: AppConfig, lang: 'zh' | 'en'): string {
  if (!app.onboarding.enabled || !app.onboarding.steps.length) return lang === 'zh' ? '（未配置）' : '(none configured)';
  const only = lang === 'zh' ? '仅限部门' : 'only for';
  return app.onboarding.steps
    .map((s, i) => `${i + 1}. ${labelOf(s)[lang]}${s.departments ? ` (${only} ${s.departments.join(', ')})` : ''}`).join('\n');
}

async function onboardCommand(ctx: Ctx, a: z.infer<typeof args>, wf: Workflows): Promise<void> {
  const app = ctx.config.app;
  if (!app.onboarding.enabled || !app.onboarding.steps.length) {
    await ctx.reply(errorCard({
      title: { zh: '入职流程未启用', en: 'Onboarding is not set up' },
      problems: [{ zh: 'app.config.json 的 onboarding 没有启用或没有步骤', en: 'onboarding in app.config.json is disabled or has no steps' }],
      nextStep: { zh: '请管理员在 onboarding.steps 中配置步骤', en: 'Ask an admin to configure onboarding.steps' },
    }));
    return;
  }
  const unknown: string[] = [];
  const ids = a.users.map((u) => u.openId);
  if (a.email !== undefined) {
    const parsed = emailList.safeParse(a.email.split(/[,，\s]+/).filter(Boolean));
    if (!parsed.success) {
      await ctx.reply(errorCard({
        title: { zh: '邮箱列表有误', en: 'Invalid address list' },
        problems: [{ zh: 'email= 应为逗号分隔的邮箱地址（最多 200 个）', en: 'email= must be comma-separated addresses (at most 200)' }],
        example: '/onboard email=liuyang@example.com,yanglei@example.com',
      }));
      return;
    }
    const found = await ctx.gateway.directory.openIdsByEmail(parsed.data);
    for (const [address, openId] of found) {
      if (openId) ids.push(openId);
      else unknown.push(address);
    }
  }
  const unique = [...new Set(ids)];
  if (a['dry-run']) {
    for (const openId of unique) {
      const hire = await resolveHire(ctx.gateway.directory, app, openId);
      await ctx.reply(onboardPlanCard({ hire: hire.name, steps: await planOf(ctx.gateway, app, hire) }));
    }
    if (unknown.length) await ctx.reply(unknownCard(unknown));
    return;
  }
  const trigger = `/onboard · ${ctx.sender.name ?? ctx.sender.openId}`;
  const started = await Promise.all(unique.map((openId) => startRun(wf, ctx.gateway, app, openId, trigger)));
  await ctx.audit('onboard.start', unique.join(','), 'ok', `${started.filter((s) => s.state === 'started').length} started`);
  await ctx.reply(successCard({
    title: { zh: '入职流程', en: 'Onboarding' },
    summary: app.onboarding.adminChat
      ? { zh: '进度会在管理群的进度卡片上更新。', en: 'Progress shows on the progress card in the admin chat.' }
      : { zh: '用 /onboard status 查看进度。', en: 'See progress with /onboard status.' },
    fields: [
      { label: { zh: '已开始', en: 'Started' }, value: names(started, 'started') },
      { label: { zh: '已有流程（不会重复）', en: 'Already onboarded (nothing repeated)' }, value: names(started, 'exists') },
    ],
    ...(unknown.length ? { list: { label: { zh: '找不到的邮箱', en: 'Unknown addresses' }, items: unknown } } : {}),
  }));
  // Existing runs are driven too: one a crash interrupted finishes; a finished one has nothing left to do.
  await Promise.all(started.map((s) => wf.driveEventually(s.run.id)));
}

const names = (list: StartResult[], state: StartResult['state']): string =>
  list.filter((s) => s.state === state).map((s) => s.run.subjectName).join('、') || '—';

const unknownCard = (unknown: string[]): Card => errorCard({
  title: { zh: '有邮箱找不到对应的人', en: 'Some addresses match nobody' },
  problems: unknown.map((u) => ({ zh: `${u}：通讯录里没有，或不在应用可见范围`, en: `${u}: not in the directory, or not visible to the app` })),
  nextStep: { zh: '检查地址（用联系邮箱，不是企业邮箱）后再试', en: 'Check the addresses (contact email, not the enterprise mailbox), then try again' },
});

/** `sealer` seals the record of the welcome draft it makes (see draft.ts). */
export function registerOnboard(app: App, sealer: Sealing): void {
  const wf = app.workflows;
  wf.define(WORKFLOW, { execute: (env, run, state, resumed) => execute(env, run, state, resumed, sealer), onChange: showProgress });

  app.command('onboard', onboardSpec(app.config.app), (ctx, a) => onboardCommand(ctx, a, wf));
  app.command('onboard status', onboardStatusSpec, async (ctx) => {
    const runs = await wf.list(20);
    await ctx.reply(onboardRunsCard({
      runs: runs.map((r) => ({
        hire: r.subjectName, trigger: r.trigger, total: r.steps.length,
        done: r.steps.filter((s) => s.status === 'done' || s.status === 'skipped' || s.status === 'not_applicable').length,
        failed: r.steps.filter((s) => s.status === 'failed' || s.status === 'blocked').length,
        waiting: r.steps.filter((s) => s.status === 'waiting').length,
        at: new Date(r.createdAt).toISOString().slice(0, 16).replace('T', ' '),
      })),
    }));
  });

  app.action(retryAction, async (_ctx, { run }) => {
    const after = await wf.retry(run);
    return after ? { card: progressOf(after) } : { toast: { type: 'error', text: { zh: '找不到这个流程', en: 'This run no longer exists' } } };
  });

  app.action(skipAction, async (ctx, { run, step }) => {
    await ctx.audit('onboard.skip', `${run}/${step}`, 'ok');
    const after = await wf.skip(run, step);
    return after ? { card: progressOf(after) } : { toast: { type: 'error', text: { zh: '找不到这个流程', en: 'This run no longer exists' } } };
  });

  app.event('contact.user.created_v3', async (ctx, e) => {
    const config = ctx.config.app;
    if (!config.onboarding.enabled || !config.onboarding.steps.length) return;
    const actor = config.onboarding.runAs ?? config.admins[0];
    const verdict = permission(config, ONBOARD, actor);
    if (!verdict.ok) {
      ctx.outcome = 'refused';
      ctx.logger.warn({ actor, allow: verdict.allow }, 'onboarding automation refused by commands.onboard.allow: set onboarding.runAs or admins');
      await ctx.audit('onboard.refused', e.object.open_id, 'refused');
      return;
    }
    const { run } = await startRun(wf, ctx.gateway, config, e.object.open_id, 'contact.user.created_v3');
    // Awaited: the inbox item stays leased until the run has been driven, so a crash redelivers the event.
    await wf.driveEventually(run.id);
  });
}
