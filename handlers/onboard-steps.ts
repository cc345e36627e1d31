/**
 * The onboarding steps themselves: the dry-run plan, and what each step kind does (the hire and the templates filled
 * with their fields are onboard-hire.ts's). Each step's effect carries a key
 * derived from the run and the step (chat and message uuids), or looks before it creates when an earlier attempt
 * may have reached Feishu (mail-group members, mail contacts).
 */
import { escapeMd, hireWelcomeCard, signInNeededCard, type Bilingual } from '../cards/index.js';
import type { Sealing } from '../src/auth/seal.js';
import type { AppConfig, OnboardingStep } from '../src/config.js';
import { needsSignIn } from '../src/feishu/errors.js';
import { asUser, type DirectoryPort, type FeishuPorts } from '../src/feishu/ports.js';
import { deriveKey } from '../src/keys.js';
import { composeMail } from '../src/mail/compose.js';
import type { Run, StepOutcome, StepState, WorkflowEnv } from '../src/workflows/engine.js';
import { offerDraft } from './draft-preview.js';
import { emlOf } from './mail-compose.js';
import { chatNames, checkUsers } from './provision.js';
import { fill, hireSchema, mailMarkdownLiteral, type Hire } from './onboard-hire.js';

const LABELS: Record<OnboardingStep['kind'], Bilingual> = {
  'add-to-chats': { zh: '加入群聊', en: 'Add to chats' },
  'team-chat': { zh: '创建团队群', en: 'Create the team chat' },
  mailgroups: { zh: '加入邮件组', en: 'Add to mail groups' },
  'mail-contact': { zh: '添加邮箱联系人', en: 'Add as mail contact' },
  'welcome-draft': { zh: '起草欢迎邮件', en: 'Draft the welcome mail' },
  'welcome-card': { zh: '发送欢迎卡片', en: 'Send the welcome card' },
};
export const labelOf = (s: OnboardingStep): Bilingual => ({
  zh: `${LABELS[s.kind].zh}（${s.id}）`,
  en: `${LABELS[s.kind].en} (${s.id})`,
});

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

/** Why a step does not apply to this hire (its departments), or undefined when it does. */
function notFor(step: OnboardingStep, hire: Hire, app: AppConfig): Bilingual | undefined {
  if (!step.departments) return undefined;
  const names = hire.departmentIds.map((id) => app.onboarding.departments[id]);
  const inOne = step.departments.some((d) => hire.departmentIds.includes(d) || names.includes(d));
  return inOne
    ? undefined
    : { zh: `只用于部门：${step.departments.join('、')}`, en: `only for departments: ${step.departments.join(', ')}` };
}

/** A key for one step's effect in one run: the same on every attempt and after a crash (Feishu uuid ≤ 50 chars). */
export const effectKey = (runId: string, stepId: string, what = ''): string => deriveKey(runId, stepId, what);

const stepOf = (app: AppConfig, id: string): OnboardingStep => {
  const s = app.onboarding.steps.find((x) => x.id === id);
  if (!s) throw new StepProblem({ zh: `配置里已没有步骤 ${id}`, en: `step ${id} is no longer in the configuration` });
  return s;
};

async function senderMailbox(directory: DirectoryPort, sender: string): Promise<{ address: string; name: string }> {
  const u = await directory.getUser(sender);
  if (!u.enterpriseEmail)
    throw new StepProblem({
      zh: `发件人 ${u.name} 没有企业邮箱`,
      en: `the sender ${u.name} has no organisation mailbox`,
    });
  return { address: u.enterpriseEmail, name: u.name };
}

/** What each step would do, with every value resolved: the dry run's plan. Reads only. */
export async function planOf(
  g: FeishuPorts,
  app: AppConfig,
  hire: Hire,
): Promise<{ label: Bilingual; values: string[]; skipped?: Bilingual }[]> {
  return Promise.all(
    app.onboarding.steps.map(async (s) => {
      const label = labelOf(s);
      const skipped = notFor(s, hire, app);
      if (skipped) return { label, values: [], skipped };
      switch (s.kind) {
        case 'add-to-chats':
          return { label, values: (await chatNames(g.chats, s.chats)).map((c) => `${hire.name} → ${c}`) };
        case 'team-chat':
          return {
            label,
            values: [
              `群名 name: ${fill(s.name, hire)}`,
              `成员 members: ${[hire.name, hire.leader].filter(Boolean).join('、')}`,
            ],
          };
        case 'mailgroups':
          return { label, values: s.mailgroups.map((m) => `${hire.email} → ${m}`) };
        case 'mail-contact':
          return { label, values: [`${hire.name} <${hire.email}> ${hire.job_title} → ${s.mailbox}`] };
        case 'welcome-draft': {
          const from = await senderMailbox(g.directory, s.sender).then(
            (m) => m.address,
            (e: unknown) => (e instanceof StepProblem ? e.problem.en : String(e)),
          );
          return {
            label,
            values: [`发件人 from: ${from}`, `收件人 to: ${hire.email}`, `主题 subject: ${fill(s.subject, hire)}`],
          };
        }
        case 'welcome-card':
          return { label, values: [`→ ${hire.name}: ${fill(s.title, hire)}`] };
      }
    }),
  );
}

export async function execute(
  env: WorkflowEnv,
  run: Run,
  state: StepState,
  resumed: boolean,
  sealer: Sealing,
): Promise<StepOutcome> {
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
          throw new StepProblem({
            zh: `无法把 ${hire.name} 加入群 ${chat}`,
            en: `${hire.name} could not be added to chat ${chat}`,
          });
        }
      }
      const names = await chatNames(g.chats, step.chats);
      // By chat id, for the card and for Undo's.
      return {
        status: 'done',
        detail: names.join(', '),
        result: Object.fromEntries(step.chats.map((c, i) => [c, names[i] ?? c])),
      };
    }
    case 'team-chat': {
      const people = [
        { openId: hire.openId, name: hire.name },
        ...(hire.leaderOpenId ? [{ openId: hire.leaderOpenId, name: hire.leader }] : []),
      ];
      const { usable } = await checkUsers(g.directory, people);
      const owner = usable.find((u) => u.openId === hire.leaderOpenId) ?? usable[0];
      if (!owner)
        throw new StepProblem({
          zh: `${hire.name} 不在应用的通讯录范围内`,
          en: `${hire.name} is outside the app's contact scope`,
        });
      const chat = await g.chats.create(
        {
          name: fill(step.name, hire),
          description: step.description ? fill(step.description, hire) : undefined,
          ownerId: owner.openId,
          userIds: usable.filter((u) => u.openId !== owner.openId).map((u) => u.openId),
          chatType: 'private',
        },
        { uuid: effectKey(run.id, step.id) },
      );
      return { status: 'done', detail: chat.name, result: { chatId: chat.chatId } };
    }
    case 'mailgroups': {
      for (const address of step.mailgroups) {
        const group = await g.mailgroups.get(address);
        if (!group) throw new StepProblem({ zh: `邮件组 ${address} 不存在`, en: `there is no mail group ${address}` });
        await g.mailgroups.addMembers(group.mailgroupId, [{ type: 'USER', userId: hire.openId }], {
          mayExist: resumed,
        });
      }
      return { status: 'done', detail: step.mailgroups.join(', ') };
    }
    case 'mail-contact': {
      const { contactId } = await g.mailbox.createContact(
        step.mailbox,
        {
          name: hire.name,
          mailAddress: hire.email || undefined,
          position: hire.job_title || undefined,
        },
        { mayExist: resumed },
      );
      return { status: 'done', detail: `${hire.name} → ${step.mailbox}`, result: { contactId } };
    }
    case 'welcome-draft': {
      const from = await senderMailbox(g.directory, step.sender);
      const subject = fill(step.subject, hire);
      const body = fill(step.body, hire, mailMarkdownLiteral);
      const composed = await composeMail(
        { from, to: [{ address: hire.email, name: hire.name }], subject, body },
        { messageIdSeed: `${run.id}|${step.id}` },
      );
      if (!composed.ok)
        throw new StepProblem({
          zh: composed.problems.map((p) => p.zh).join('；'),
          en: composed.problems.map((p) => p.en).join('; '),
        });
      try {
        const { draftId } = await g.mailbox.createDraft(from.address, emlOf(composed.mail), {
          as: asUser(step.sender),
        });
        // The sender reviews it and sends it from the same preview card a /draft gets.
        await offerDraft(
          { kv: env.store, sealer, im: g.im },
          draftId,
          {
            author: step.sender,
            mailbox: from.address,
            fromName: from.name,
            to: [hire.email],
            cc: [],
            bcc: [],
            subject,
            body,
            size: composed.mail.size,
          },
          effectKey(run.id, step.id, 'preview'),
        );
        return { status: 'done', detail: `${from.address}: ${subject}`, result: { draftId } };
      } catch (err) {
        // Before the call (the vault has no usable sign-in) or from Feishu (the authorisation is gone): either way, wait.
        if (!needsSignIn(err)) throw err;
        const why: Bilingual = {
          zh: `${hire.name} 的欢迎邮件需要在你的邮箱里起草。`,
          en: `The welcome mail for ${hire.name} is to be drafted in your mailbox.`,
        };
        // One card per wait: its uuid is the step's, so a second attempt within Feishu's hour does not post again.
        await g.im.sendCard({ openId: step.sender }, signInNeededCard({ why }), {
          uuid: effectKey(run.id, step.id, `sign-in:${state.attempts}`),
        });
        return {
          status: 'waiting',
          waitingFor: step.sender,
          reason: { zh: `等待 ${from.name} 登录`, en: `waiting for ${from.name} to sign in` },
        };
      }
    }
    case 'welcome-card': {
      const { messageId } = await g.im.sendCard(
        { openId: hire.openId },
        hireWelcomeCard({ title: fill(step.title, hire), body: fill(step.body, hire, escapeMd) }),
        { uuid: effectKey(run.id, step.id) },
      );
      return { status: 'done', detail: `→ ${hire.name}`, result: { messageId } };
    }
  }
}
