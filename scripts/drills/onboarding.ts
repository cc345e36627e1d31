/**
 * Onboarding with the welcome mail's sender not signed in: each hire's welcome-mail step must end `waiting` (never
 * failed), and once the sender signs in through the bot's /oauth/callback, each waiting step must make one draft.
 * Run on the shipped app.config.json workflow against the demo's standing chats and mail group.
 */
import { readFileSync } from 'node:fs';
import type { Emulator } from '../../src/emulator/index.js';
import { openIdFor, STANDING } from '../../src/emulator/seed.js';
import type { NewUserInput, SeedUser } from '../../src/emulator/state.js';
import { freshWorld, n, text, type Row } from './kit.js';
import { decoded, mail, Outcomes, signIn, waitFor } from './people.js';

interface Step {
  id: string;
  kind: string;
  sender?: string;
}
const shipped = JSON.parse(readFileSync(new URL('../../app.config.json', import.meta.url), 'utf8')) as {
  onboarding: { steps: Step[] };
};
const steps = shipped.onboarding.steps;
export const WELCOME_DRAFT = steps.find((s) => s.kind === 'welcome-draft')!;

/** The shipped workflow, with 张伟 as the admin the contact.user.created_v3 automation runs as. */
export const SHIPPED_BOT = { app: { ...shipped, admins: [openIdFor('zhangwei')] } };
export const onboardingWorld = () => freshWorld({ emulator: { standing: true }, bot: SHIPPED_BOT });

/** Adds the hire to the directory and pushes contact.user.created_v3, as Feishu does for a new employee. */
export function announce(emu: Emulator, hire: NewUserInput): SeedUser {
  const user = emu.state.addUser(hire);
  emu.delivery.userEvent('contact.user.created_v3', user);
  return user;
}

/** A workflow's progress cards in the admin chat are titled "入职流程：<name>" or "离职流程：<name>". */
export const ONBOARDING = { title: '入职流程', steps: steps.map((s) => s.id) };

/** The person's progress card of a workflow in the admin chat, as it stands. */
export const progressCard = (emu: Emulator, person: SeedUser, title = ONBOARDING.title) =>
  [...emu.state.messages.values()].find(
    (m) =>
      m.chatId === STANDING.admins.chatId &&
      m.sender.type === 'app' &&
      text(m.card).includes(`${title}：${JSON.stringify(person.name).slice(1, -1)}`),
  );

/** The markdown a reader whose Feishu speaks English sees on a card. */
function englishMarkdown(card: unknown): string[] {
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const el = node as { tag?: unknown; i18n_content?: { en_us?: unknown } };
    if (el.tag === 'markdown' && typeof el.i18n_content?.en_us === 'string') out.push(el.i18n_content.en_us);
    Object.values(el).forEach(walk);
  };
  walk(card);
  return out;
}

/**
 * Each step's state as the progress card says it ("done", "waiting for sign-in", "failed"…), once none is pending
 * or running; undefined before.
 */
export function settledSteps(
  emu: Emulator,
  person: SeedUser,
  workflow: { title: string; steps: string[] } = ONBOARDING,
): Record<string, string> | undefined {
  const card = decoded(englishMarkdown(progressCard(emu, person, workflow.title)?.card).join('\n'));
  // A step reads, in English, "⏳ Draft the welcome mail (welcome-mail) · waiting for sign-in".
  const states = Object.fromEntries(
    workflow.steps.map((id) => [id, new RegExp(`\\(${id}\\) · ([^<\\n]+)`).exec(card)?.[1]?.trim()]),
  );
  return Object.values(states).every((s) => s !== undefined && s !== 'pending' && s !== 'running')
    ? (states as Record<string, string>)
    : undefined;
}

export async function onboardingDrill(): Promise<Row> {
  const { emu } = await onboardingWorld();
  const sender = emu.state.userByOpenId(WELCOME_DRAFT.sender!)!;
  const total = n(3);
  const hires = Array.from({ length: total }, (_, i) =>
    announce(emu, {
      name: `演练新人${i}`,
      enName: `Drill Hire ${i}`,
      department: 'eng',
      leader: '王芳',
      jobTitle: 'Engineer',
    }),
  );
  const out = new Outcomes();
  for (const hire of hires) {
    const states = await waitFor(() => settledSteps(emu, hire), 30_000);
    const state = states?.[WELCOME_DRAFT.id];
    if (state === 'waiting for sign-in') continue;
    if (state === 'failed') out.reportedFailed++;
    out.problem(
      `${hire.name}: ${WELCOME_DRAFT.id} ${state ?? 'never settled'}, not waiting for ${sender.name}'s sign-in`,
    );
  }
  const failedSignIn = await signIn(emu, sender);
  if (failedSignIn) out.problem(`${sender.name}'s sign-in: ${failedSignIn}`);
  await out.exactlyOnce(
    Object.fromEntries(
      hires.map((h) => [`${h.name}'s welcome draft`, () => mail(emu, 'drafts', { to: h.enterprise_email }).length]),
    ),
  );
  return out.row(`onboarding ×${total}, welcome-mail sender not signed in: waiting, one draft after sign-in`);
}
