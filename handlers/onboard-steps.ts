/**
 * The onboarding steps themselves: the dry-run plan, and what each step kind does (the hire and the templates filled
 * with their fields are onboard-hire.ts's). Each step's effect carries a key
 * derived from the run and the step (chat and message uuids), or looks before it creates when an earlier attempt
 * may have reached Feishu (mail-group members, mail contacts).
 */
import { escapeMd, hireWelcomeCard, signInNeededCard } from '../cards/index.js';
import type { Sealing } from '../src/auth/seal.js';

import type { AppConfig, OnboardingStep } from '../src/config.js';
import { needsSignIn } from '../src/feishu/errors.js';
import { asUser, type DirectoryPort, type FeishuPorts } from '../src/feishu/ports.js';
import { joinProblems, listOf, t, type MessageKey, type Text } from '../src/i18n.js';
import { deriveKey } from '../src/keys.js';
import { composeMail } from '../src/mail/compose.js';
import type { Run, StepOutcome, StepState, WorkflowEnv } from '../src/workflows/engine.js';
import { offerDraft } from './draft-preview.js';
import { emlOf } from './mail-compose.js';
import { chatNames, checkUsers } from './provision.js';
import { fill, hireSchema, mailMarkdownLiteral, type Hire } from './onboard-hire.js';

const LABELS: Record<OnboardingStep['kind'], MessageKey> = {
  'add-to-chats': 'onboard.step.addToChats',
  'team-chat': 'onboard.step.teamChat',
  mailgroups: 'onboard.step.mailgroups',
  'mail-contact': 'onboard.step.mailContact',
  'welcome-draft': 'onboard.step.welcomeDraft',
  'welcome-card': 'onboard.step.welcomeCard',
};
export const labelOf = (s: OnboardingStep): Text => t(LABELS[s.kind], { id: s.id });

/** A step that cannot succeed as configured: shown as ✗ with this reason (kind `invalid`, so it is not retried). */
class StepProblem extends Error {
  readonly kind = 'invalid';
  constructor(readonly problem: Text) {
    super(problem.en_us);
  }

  explain(): { problem: Text } {
    return { problem: this.problem };
  }
}

/** Why a step does not apply to this hire (its departments), or undefined when it does. */
function notFor(step: OnboardingStep, hire: Hire, app: AppConfig): Text | undefined {
  if (!step.departments) return undefined;
  const names = hire.departmentIds.map((id) => app.onboarding.departments[id]);
  const inOne = step.departments.some((d) => hire.departmentIds.includes(d) || names.includes(d));
  return inOne ? undefined : t('onboard.onlyForDepartments', { departments: listOf(step.departments) });
}

/** A key for one step's effect in one run: the same on every attempt and after a crash (Feishu uuid ≤ 50 chars). */
export const effectKey = (runId: string, stepId: string, what = ''): string => deriveKey(runId, stepId, what);

const stepOf = (app: AppConfig, id: string): OnboardingStep => {
  const s = app.onboarding.steps.find((x) => x.id === id);
  if (!s) throw new StepProblem(t('workflow.stepGone', { id }));
  return s;
};

async function senderMailbox(directory: DirectoryPort, sender: string): Promise<{ address: string; name: string }> {
  const u = await directory.getUser(sender);
  if (!u.enterpriseEmail) throw new StepProblem(t('onboard.senderNoMailbox', { name: u.name }));
  return { address: u.enterpriseEmail, name: u.name };
}

/** What each step would do, with every value resolved: the dry run's plan. Reads only. */
export async function planOf(
  g: FeishuPorts,
  app: AppConfig,
  hire: Hire,
): Promise<{ label: Text; values: (string | Text)[]; skipped?: Text }[]> {
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
              t('onboard.plan.chatName', { name: fill(s.name, hire) }),
              t('onboard.plan.members', { names: listOf([hire.name, hire.leader].filter(Boolean)) }),
            ],
          };
        case 'mailgroups':
          return { label, values: s.mailgroups.map((m) => `${hire.email} → ${m}`) };
        case 'mail-contact':
          return { label, values: [`${hire.name} <${hire.email}> ${hire.job_title} → ${s.mailbox}`] };
        case 'welcome-draft': {
          const from = await senderMailbox(g.directory, s.sender).then(
            (m) => m.address,
            (e: unknown) => (e instanceof StepProblem ? e.problem : String(e)),
          );
          return {
            label,
            values: [
              t('onboard.plan.from', { address: from }),
              t('onboard.plan.to', { address: hire.email }),
              t('onboard.plan.subject', { subject: fill(s.subject, hire) }),
            ],
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
          throw new StepProblem(t('onboard.notAdded', { name: hire.name, chat }));
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
      if (!owner) throw new StepProblem(t('onboard.outOfScope', { name: hire.name }));
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
        if (!group) throw new StepProblem(t('onboard.mailgroupMissing', { address }));
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
      if (!composed.ok) throw new StepProblem(joinProblems(composed.problems));
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
        const why = t('onboard.welcomeMailWhy', { name: hire.name });
        // One card per wait: its uuid is the step's, so a second attempt within Feishu's hour does not post again.
        await g.im.sendCard({ openId: step.sender }, signInNeededCard({ why }), {
          uuid: effectKey(run.id, step.id, `sign-in:${state.attempts}`),
        });
        return {
          status: 'waiting',
          waitingFor: step.sender,
          reason: t('onboard.waitingForSignIn', { name: from.name }),
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
