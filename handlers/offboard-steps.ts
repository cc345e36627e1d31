/**
 * The offboarding steps: what each kind does for someone who left, and the dry run's plan of it. Every step first
 * finds what is left to do (offboard-survey.ts) and then acts on exactly that, so a step run again after a crash or a
 * redelivery does nothing twice. What the bot cannot do (a chat it is not in, a leader who has also left) makes the
 * step `attention`, naming what a person must do; only Feishu failures that may pass are thrown, for a retry.
 */
import { offboardNoticeCard } from '../cards/index.js';

import { undoChange } from '../src/changes/undo.js';
import type { AppConfig, OffboardingStep } from '../src/config.js';
import type { FeishuPorts } from '../src/feishu/ports.js';
import { compose, joinProblems, listOf, t, type MessageKey, type Text } from '../src/i18n.js';
import {
  type Run,
  type StepOutcome,
  type StepState,
  type WorkflowEnv,
  type Workflows,
} from '../src/workflows/engine.js';
import { at } from './onboard-checks.js';
import { effectKey } from './onboard-steps.js';
import { runInverse, saveRunChange } from './onboard-undo.js';
import { leaverSchema, noLeader, successorOf, type Leaver } from './offboard-leaver.js';
import { contactsOf, listedChats, mailgroupsHolding, ownedChats, refusal } from './offboard-survey.js';
import { describeInverse } from './undo.js';

const LABELS: Record<OffboardingStep['kind'], MessageKey> = {
  'reverse-onboarding': 'offboard.step.reverseOnboarding',
  'remove-from-mailgroups': 'offboard.step.removeFromMailgroups',
  'transfer-chats': 'offboard.step.transferChats',
  'remove-from-chats': 'offboard.step.removeFromChats',
  'delete-contacts': 'offboard.step.deleteContacts',
  notify: 'offboard.step.notify',
};
export const labelOf = (s: OffboardingStep): Text => t(LABELS[s.kind], { id: s.id });

/** Another undoer (perhaps a process that died) holds the onboarding's undo record: try again shortly. */
class Busy extends Error {
  readonly kind = 'transient';
}

const onboardRunId = (openId: string): string => `onboard:${openId}`;
const whereOf = (app: AppConfig, id: string): string =>
  `offboarding.steps[${app.offboarding.steps.findIndex((s) => s.id === id)}]`;

/**
 * Done, or (when something is left for a person) attention, with what was done as the detail: names as they are, or
 * the bot's words.
 */
function outcome(done: (string | Text)[], problems: Text[]): StepOutcome {
  const detail = done.length ? compose((say) => done.map(say).join('; ')) : undefined;
  if (problems.length) return { status: 'attention', ...(detail ? { detail } : {}), reason: joinProblems(problems) };
  return { status: 'done', detail: detail ?? '—' };
}

export async function execute(env: WorkflowEnv, run: Run, state: StepState, wf: Workflows): Promise<StepOutcome> {
  const app = env.config.app;
  const leaver = leaverSchema.parse(run.input);
  const step = app.offboarding.steps.find((s) => s.id === state.id);
  if (!step) return { status: 'not_applicable', reason: t('workflow.stepGone', { id: state.id }) };
  const g = env.gateway;
  const where = whereOf(app, step.id);
  switch (step.kind) {
    case 'reverse-onboarding': {
      const onboarded = await wf.get(onboardRunId(leaver.openId));
      const id = onboarded && (await saveRunChange(env, onboarded));
      if (!onboarded || !id) return { status: 'not_applicable', reason: noOnboarding(leaver, onboarded) };
      // Waits out an undoer that died (its lease), rather than failing the step.
      const r = await undoChange(g, env.store, id, run.startedBy ?? 'system', Date.now, { waitMs: 15_000 });
      if (r.state === 'busy') throw new Busy(`the undo record ${id} is held by another undoer`);
      if (r.state === 'missing') return { status: 'not_applicable', reason: noOnboarding(leaver, undefined) };
      const done = r.change.steps.filter((s) => s.state === 'done').map((s) => describeInverse(s.undo));
      const failed = r.change.steps.flatMap((s) =>
        s.state === 'done'
          ? []
          : [
              t('workflow.prefixed', {
                prefix: describeInverse(s.undo),
                text: s.problem ? s.problem : t('offboard.notDone'),
              }),
            ],
      );
      return outcome(done, failed);
    }
    case 'remove-from-mailgroups': {
      const { held, problems } = await mailgroupsHolding(g, leaver, step, where);
      for (const group of held) await g.mailgroups.removeMembers(group.mailgroupId, group.memberIds);
      return outcome(
        held.length ? [held.map((h) => h.email).join(', ')] : [t('offboard.detail.noMailgroup')],
        problems,
      );
    }
    case 'transfer-chats': {
      const owned = await ownedChats(g, leaver);
      if (!owned.length) return outcome([t('offboard.detail.ownsNoChat')], []);
      const to = await successorOf(g.directory, leaver, step.to);
      if ('problem' in to) {
        const chats = listOf(owned.map((c) => t('workflow.quoted', { name: c.name })));
        return outcome([], [t('offboard.noSuccessor', { problem: to.problem, where, chats })]);
      }
      const done: string[] = [];
      const problems: Text[] = [];
      for (const chat of owned) {
        try {
          // Feishu hands a chat only to a member: the successor joins it first (a second add changes nothing).
          const members = await g.chats.members(chat.chatId);
          if (!members.some((m) => m.openId === to.openId)) await g.chats.addMembers(chat.chatId, [to.openId]);
          await g.chats.transferOwner(chat.chatId, to.openId);
          done.push(`"${chat.name}" → ${to.name}`);
        } catch (err) {
          problems.push(refusal(err, t('offboard.couldNotHandOver', { chat: chat.name, name: to.name })));
        }
      }
      return outcome(done, problems);
    }
    case 'remove-from-chats': {
      const { chats, problems } = await listedChats(g, leaver, step, where);
      const done: string[] = [];
      for (const chat of chats.filter((c) => c.member)) {
        const removed = await g.chats.removeMembers(chat.chatId, [leaver.openId]).catch((err: unknown) => {
          problems.push(refusal(err, t('offboard.couldNotRemove', { name: leaver.name, chat: chat.name })));
        });
        if (!removed) continue;
        const { notRemoved } = removed;
        if (notRemoved.length) problems.push(t('offboard.nowOwner', { name: leaver.name, chat: chat.name }));
        else done.push(chat.name);
      }
      return outcome(done.length ? done : [t('offboard.detail.inNoChat')], problems);
    }
    case 'delete-contacts': {
      const { found, problems } = await contactsOf(g, leaver, step);
      const done: string[] = [];
      for (const { mailbox, contacts } of found) {
        for (const c of contacts) await g.mailbox.deleteContact(mailbox, c.id);
        if (contacts.length) done.push(`${mailbox} ×${contacts.length}`);
      }
      return outcome(done.length ? done : [t('offboard.detail.noContact')], problems);
    }
    case 'notify':
      return notify(env, run, leaver, step);
  }
}

const noOnboarding = (leaver: Leaver, onboarded: Run | undefined): Text =>
  t(onboarded ? 'offboard.onboardingLeftNothing' : 'offboard.noOnboardingRun', { name: leaver.name });

/** The notice: what every other step did and what is left for a person, to the leader and the admin chat. */
async function notify(env: WorkflowEnv, run: Run, leaver: Leaver, step: OffboardingStep): Promise<StepOutcome> {
  const others = run.steps.filter((s) => s.id !== step.id);
  const card = offboardNoticeCard({
    leaver: leaver.name,
    done: others
      .filter((s) => s.status === 'done')
      .map((s) => ({ label: s.label, ...(s.detail ? { detail: s.detail } : {}) })),
    needs: others.flatMap((s) =>
      s.status === 'attention' || s.status === 'failed' || s.status === 'blocked' || s.status === 'waiting'
        ? [{ label: s.label, reason: s.reason ?? t(`workflow.state.${s.status}`) }]
        : [],
    ),
  });
  const told: string[] = [];
  const problems: Text[] = [];
  const send = async (to: { openId: string } | { chatId: string }, who: string, key: string) => {
    try {
      await env.gateway.im.sendCard(to, card, { uuid: effectKey(run.id, step.id, key) });
      told.push(who);
    } catch (err) {
      problems.push(refusal(err, t('offboard.couldNotTell', { who })));
    }
  };
  if (leaver.leaderOpenId && !leaver.leaderProblem)
    await send({ openId: leaver.leaderOpenId }, leaver.leaderName ?? leaver.leaderOpenId, 'leader');
  else problems.push(t('offboard.leaderNotTold', { problem: leaver.leaderProblem ?? noLeader(leaver) }));
  const chat = env.config.app.offboarding.adminChat;
  if (chat) await send({ chatId: chat }, 'offboarding.adminChat', 'admins');
  return outcome(told.length ? [`→ ${told.join(', ')}`] : [], problems);
}

/** What each step would do, with every value resolved and every problem named: the dry run. Reads only. */
export async function planOf(
  g: FeishuPorts,
  app: AppConfig,
  leaver: Leaver,
  onboarded: Run | undefined,
): Promise<{ label: Text; values: (string | Text)[]; skipped?: Text; problems: Text[] }[]> {
  const plans = [];
  for (const step of app.offboarding.steps) {
    const label = labelOf(step);
    const where = whereOf(app, step.id);
    switch (step.kind) {
      case 'reverse-onboarding': {
        const inverse = onboarded ? runInverse(app, onboarded) : [];
        plans.push(
          inverse.length
            ? { label, values: inverse.map((u) => describeInverse(u)), problems: [] }
            : { label, values: [], skipped: noOnboarding(leaver, onboarded), problems: [] },
        );
        break;
      }
      case 'remove-from-mailgroups': {
        const { held, problems } = await mailgroupsHolding(g, leaver, step, where);
        plans.push({ label, values: held.map((h) => `${leaver.name} ✕ ${h.email}`), problems });
        break;
      }
      case 'transfer-chats': {
        const owned = await ownedChats(g, leaver);
        const to = owned.length ? await successorOf(g.directory, leaver, step.to) : undefined;
        const problem = to && 'problem' in to ? [at(`${where}.to`, to.problem)] : [];
        const name = to && !('problem' in to) ? to.name : '?';
        plans.push({ label, values: owned.map((c) => `"${c.name}" → ${name}`), problems: problem });
        break;
      }
      case 'remove-from-chats': {
        const { chats, problems } = await listedChats(g, leaver, step, where);
        plans.push({
          label,
          values: chats.map((c) =>
            c.member ? `${leaver.name} ✕ ${c.name}` : t('offboard.plan.notMember', { chat: c.name }),
          ),
          problems,
        });
        break;
      }
      case 'delete-contacts': {
        const { found, problems } = await contactsOf(g, leaver, step);
        plans.push({
          label,
          values: found.flatMap(({ mailbox, contacts }) =>
            contacts.map((c) => `${mailbox}: ${c.name} <${c.mailAddress}>`),
          ),
          problems,
        });
        break;
      }
      case 'notify': {
        const chat = app.offboarding.adminChat;
        plans.push({
          label,
          values: [
            ...(leaver.leaderOpenId && !leaver.leaderProblem ? [`→ ${leaver.leaderName}`] : []),
            ...(chat ? [`→ ${chat}`] : []),
          ],
          problems: leaver.leaderProblem ? [leaver.leaderProblem] : [],
        });
        break;
      }
    }
  }
  return plans;
}
