/**
 * What the dry run checks before anyone is onboarded: every chat the workflow names (its steps' and the admin chat)
 * exists and the bot is in it, every mail group exists, and every welcome-mail sender is signed in (reads only); and
 * for each hire, the directory fields the templates name that are empty for them ("担任。" for a missing job title).
 * Each problem names what is wrong and what to do, so the dry run can say "ready" only when a run would get through.
 */

import type { AppConfig, OnboardingStep } from '../src/config.js';
import { FeishuError } from '../src/feishu/errors.js';
import type { FeishuPorts } from '../src/feishu/ports.js';
import { t, type Text } from '../src/i18n.js';
import type { Hire } from './onboard-hire.js';

/** Whether a person is signed in with the bot (the token vault); absent when the bot has no sign-in. */
export type SignedIn = (openId: string) => Promise<boolean>;

export interface WorkflowProblems {
  /** Problems of the admin chat, where progress cards go. */
  adminChat: Text[];
  /** Problems by step id. */
  steps: Map<string, Text[]>;
}

/** One look at everything the workflow names; each chat, mail group and sender is looked up once. */
export async function checkWorkflow(g: FeishuPorts, app: AppConfig, signedIn?: SignedIn): Promise<WorkflowProblems> {
  const chats = new Map<string, Promise<Text | undefined>>();
  const chat = (id: string, where: string) => {
    if (!chats.has(id)) chats.set(id, chatProblem(g, id));
    return chats.get(id)!.then((p) => p && at(where, p));
  };
  const steps = await Promise.all(
    app.onboarding.steps.map(
      async (s, i) => [s.id, (await stepProblems(g, s, i, chat, signedIn)).filter(isSome)] as const,
    ),
  );
  const admin = app.onboarding.adminChat;
  return {
    adminChat: admin ? [await chat(admin, 'onboarding.adminChat')].filter(isSome) : [],
    steps: new Map(steps),
  };
}

const isSome = <T>(x: T | undefined): x is T => x !== undefined;

/** The problem prefixed with the config path to fix. */
export const at = (where: string, problem: Text): Text => t('workflow.prefixed', { prefix: where, text: problem });

/** What could not be done (`what`), then what Feishu said and what to do about it. */
export function explained(what: Text, err: FeishuError): Text {
  const { problem, nextStep } = err.explain();
  return t('workflow.explained', { what, problem: problem, next: nextStep });
}

function stepProblems(
  g: FeishuPorts,
  s: OnboardingStep,
  i: number,
  chat: (id: string, where: string) => Promise<Text | undefined>,
  signedIn?: SignedIn,
): Promise<(Text | undefined)[]> {
  const where = `onboarding.steps[${i}]`;
  switch (s.kind) {
    case 'add-to-chats':
      return Promise.all(s.chats.map((c, j) => chat(c, `${where}.chats[${j}]`)));
    case 'mailgroups':
      return Promise.all(s.mailgroups.map(async (m, j) => mailgroupProblem(g, m, `${where}.mailgroups[${j}]`)));
    case 'welcome-draft':
      return Promise.all([signedIn && senderProblem(g, s.sender, signedIn, `${where}.sender`)]);
    default:
      return Promise.resolve([]);
  }
}

export async function chatProblem(g: FeishuPorts, chatId: string): Promise<Text | undefined> {
  try {
    await g.chats.get(chatId);
    return undefined;
  } catch (err) {
    if (!(err instanceof FeishuError)) throw err;
    if (err.kind === 'permission') return t('onboard.check.botNotInChat', { chat: chatId });
    if (err.kind === 'invalid' || err.kind === 'not_found') return t('onboard.check.noChat', { chat: chatId });
    return unchecked(t('onboard.check.chat', { chat: chatId }), err);
  }
}

async function mailgroupProblem(g: FeishuPorts, address: string, where: string): Promise<Text | undefined> {
  try {
    if (await g.mailgroups.get(address)) return undefined;
    return at(where, t('onboard.check.noMailgroup', { address }));
  } catch (err) {
    if (!(err instanceof FeishuError)) throw err;
    return at(where, unchecked(t('onboard.check.mailgroup', { address }), err));
  }
}

async function senderProblem(
  g: FeishuPorts,
  sender: string,
  signedIn: SignedIn,
  where: string,
): Promise<Text | undefined> {
  if (await signedIn(sender)) return undefined;
  const name = await g.directory.getUser(sender).then(
    (u) => u.name,
    () => sender,
  );
  return at(where, t('onboard.check.senderNotSignedIn', { name }));
}

/** A look that failed for another reason: what Feishu said, and what to do about it. */
const unchecked = (thing: Text, err: FeishuError): Text => explained(t('workflow.couldNotCheck', { thing }), err);

/** The templated texts of a step, by field name. */
function templates(s: OnboardingStep): Record<string, string | undefined> {
  switch (s.kind) {
    case 'team-chat':
      return { name: s.name, description: s.description };
    case 'welcome-draft':
      return { subject: s.subject, body: s.body };
    case 'welcome-card':
      return { title: s.title, body: s.body };
    default:
      return {};
  }
}

/** By step id: each {field} a step's templates name that the directory leaves empty for this hire. */
export function emptyFields(app: AppConfig, hire: Hire): Map<string, Text[]> {
  return new Map(
    app.onboarding.steps.map((s, i) => [
      s.id,
      Object.entries(templates(s)).flatMap(([key, text]) =>
        [...new Set([...(text ?? '').matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1] ?? ''))]
          .filter((f) => String((hire as Record<string, unknown>)[f] ?? '') === '')
          .map((f) =>
            at(`onboarding.steps[${i}].${key}`, t('onboard.check.emptyField', { name: hire.name, field: `{${f}}` })),
          ),
      ),
    ]),
  );
}
