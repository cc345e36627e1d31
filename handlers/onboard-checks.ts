/**
 * What the dry run checks before anyone is onboarded: every chat the workflow names (its steps' and the admin chat)
 * exists and the bot is in it, every mail group exists, and every welcome-mail sender is signed in (reads only); and
 * for each hire, the directory fields the templates name that are empty for them ("担任。" for a missing job title).
 * Each problem names what is wrong and what to do, so the dry run can say "ready" only when a run would get through.
 */
import type { Bilingual } from '../cards/index.js';
import type { AppConfig, OnboardingStep } from '../src/config.js';
import { FeishuError } from '../src/feishu/errors.js';
import type { FeishuPorts } from '../src/feishu/ports.js';
import type { Hire } from './onboard-hire.js';

/** Whether a person is signed in with the bot (the token vault); absent when the bot has no sign-in. */
export type SignedIn = (openId: string) => Promise<boolean>;

export interface WorkflowProblems {
  /** Problems of the admin chat, where progress cards go. */
  adminChat: Bilingual[];
  /** Problems by step id. */
  steps: Map<string, Bilingual[]>;
}

/** One look at everything the workflow names; each chat, mail group and sender is looked up once. */
export async function checkWorkflow(g: FeishuPorts, app: AppConfig, signedIn?: SignedIn): Promise<WorkflowProblems> {
  const chats = new Map<string, Promise<Bilingual | undefined>>();
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
const at = (where: string, p: Bilingual): Bilingual => ({ zh: `${where}：${p.zh}`, en: `${where}: ${p.en}` });

function stepProblems(
  g: FeishuPorts,
  s: OnboardingStep,
  i: number,
  chat: (id: string, where: string) => Promise<Bilingual | undefined>,
  signedIn?: SignedIn,
): Promise<(Bilingual | undefined)[]> {
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

export async function chatProblem(g: FeishuPorts, chatId: string): Promise<Bilingual | undefined> {
  try {
    await g.chats.get(chatId);
    return undefined;
  } catch (err) {
    if (!(err instanceof FeishuError)) throw err;
    if (err.kind === 'permission')
      return {
        zh: `机器人不在群 ${chatId} 里：在群设置里添加机器人`,
        en: `the bot is not in chat ${chatId}: add the bot in the chat's settings`,
      };
    if (err.kind === 'invalid' || err.kind === 'not_found')
      return {
        zh: `没有群 ${chatId}：改成已有的群 ID（机器人在群里）`,
        en: `there is no chat ${chatId}: name an existing chat the bot is in`,
      };
    return unchecked(`群 ${chatId}`, `chat ${chatId}`, err);
  }
}

async function mailgroupProblem(g: FeishuPorts, address: string, where: string): Promise<Bilingual | undefined> {
  try {
    if (await g.mailgroups.get(address)) return undefined;
    return at(where, {
      zh: `没有邮件组 ${address}：先用 /mailgroup create ${address} 创建，或改成已有的地址`,
      en: `there is no mail group ${address}: create it with /mailgroup create ${address}, or name an existing one`,
    });
  } catch (err) {
    if (!(err instanceof FeishuError)) throw err;
    return at(where, unchecked(`邮件组 ${address}`, `mail group ${address}`, err));
  }
}

async function senderProblem(
  g: FeishuPorts,
  sender: string,
  signedIn: SignedIn,
  where: string,
): Promise<Bilingual | undefined> {
  if (await signedIn(sender)) return undefined;
  const name = await g.directory.getUser(sender).then(
    (u) => u.name,
    () => sender,
  );
  return at(where, {
    zh: `发件人 ${name} 还没有登录，欢迎邮件会一直等待：请 ${name} 给机器人发送 /login`,
    en: `the sender ${name} has not signed in, so the welcome mail would wait: ask ${name} to send /login to the bot`,
  });
}

/** A look that failed for another reason: what Feishu said, and what to do about it. */
function unchecked(zh: string, en: string, err: FeishuError): Bilingual {
  const { problem, nextStep } = err.explain();
  return {
    zh: `无法检查${zh}：${problem.zh}${nextStep.zh}`,
    en: `could not check ${en}: ${problem.en} ${nextStep.en}`,
  };
}

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
export function emptyFields(app: AppConfig, hire: Hire): Map<string, Bilingual[]> {
  return new Map(
    app.onboarding.steps.map((s, i) => [
      s.id,
      Object.entries(templates(s)).flatMap(([key, text]) =>
        [...new Set([...(text ?? '').matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1] ?? ''))]
          .filter((f) => String((hire as Record<string, unknown>)[f] ?? '') === '')
          .map((f) =>
            at(`onboarding.steps[${i}].${key}`, {
              zh: `${hire.name} 的 {${f}} 在通讯录里为空，这里会空着：在通讯录里填写，或从模板去掉 {${f}}`,
              en: `{${f}} is empty in the directory for ${hire.name}, so it would read blank: fill it in, or drop {${f}} from the template`,
            }),
          ),
      ),
    ]),
  );
}
