/** The onboarding e2e tests' world: the shipped app.config.json workflow on the demo sandbox, senders signed in through the emulator's OAuth. */
import { readFileSync } from 'node:fs';
import { DEFAULT_APP_ID, DEFAULT_APP_SECRET, type Emulator } from '../../src/emulator/index.js';
import { openIdFor, STANDING } from '../../src/emulator/seed.js';
import { parseConfig } from '../../src/config.js';
import type { SeedUser } from '../../src/emulator/state.js';
import { loginUser } from '../../src/emulator/testing.js';
import type { UserTokenProvider } from '../../src/feishu/index.js';
import type { Run } from '../../src/workflows/engine.js';
import { control, eventually, mailState } from './provisioning.js';
import { testSandbox } from './sandbox.js';

export const shippedConfig = (): Record<string, unknown> =>
  JSON.parse(readFileSync(new URL('../../app.config.json', import.meta.url), 'utf8')) as Record<string, unknown>;

/**
 * User tokens as the vault would hand them out: only for users who signed in, through the emulator's authorize page
 * and token endpoint (the emulator checks them as Feishu would).
 */
export class SignedInUsers implements UserTokenProvider {
  emulator: Emulator | undefined;
  readonly #tokens = new Map<string, string>();

  async signIn(user: SeedUser): Promise<void> {
    if (!this.emulator) throw new Error('no emulator yet');
    this.#tokens.set(user.open_id, (await loginUser(this.emulator, user.open_id)).access_token);
  }

  async accessToken(openId: string): Promise<string | undefined> {
    return this.#tokens.get(openId);
  }

  async refresh(openId: string): Promise<string | undefined> {
    return this.#tokens.get(openId);
  }
}

/** The shipped config with 张伟 as admin (whom the automation runs as), for bots outside a demo sandbox. */
export const withAdmin = (env: Record<string, string | undefined>) =>
  parseConfig({ ...shippedConfig(), admins: [openIdFor('zhangwei')] }, { ...env, LOG_LEVEL: 'silent' });

/** Every user is signed in: tokens from the emulator's OAuth at `url` (for a bot in another process). */
export function emulatorSignIns(url: string): UserTokenProvider {
  const app = { appId: DEFAULT_APP_ID, appSecret: DEFAULT_APP_SECRET };
  const emu = { url, state: { app } } as unknown as Emulator;
  const tokens = new Map<string, Promise<string>>();
  const token = (openId: string) => {
    if (!tokens.has(openId))
      tokens.set(
        openId,
        loginUser(emu, openId).then((t) => t.access_token),
      );
    return tokens.get(openId)!;
  };
  return { accessToken: token, refresh: token };
}

export async function onboardingSandbox(o: { admins?: string[]; sandbox?: Parameters<typeof testSandbox>[1] } = {}) {
  const tokens = new SignedInUsers();
  const app = { ...shippedConfig(), ...(o.admins ? { admins: o.admins } : {}) };
  const sb = await testSandbox(app, {
    demo: true,
    ...o.sandbox,
    bot: {
      userTokens: tokens,
      workflows: { backoffBaseMs: 20, maxAttempts: 2 },
      gateway: { maxAttempts: 2, backoffBaseMs: 10 },
      ...o.sandbox?.bot,
    },
  });
  tokens.emulator = sb.emulator;
  return { sb, tokens };
}

export interface NewHire {
  name: string;
  enName?: string;
  department: string;
  leader?: string;
  jobTitle?: string;
}

/** Adds the hire to the directory and pushes contact.user.created_v3, as the console's new-hire control does. */
export async function announce(emulator: Emulator, hire: NewHire): Promise<SeedUser> {
  const answer = (await control(emulator, 'events/user-created', hire)) as { user: SeedUser };
  return answer.user;
}

const SETTLED = new Set(['done', 'skipped', 'not_applicable', 'failed', 'waiting', 'blocked']);

/** Waits until every step of the hire's run has settled (done, failed, waiting…). */
export async function settledRun(
  getRun: (id: string) => Promise<Run | undefined>,
  openId: string,
  timeoutMs = 20_000,
): Promise<Run> {
  return eventually(async () => {
    const run = await getRun(`onboard:${openId}`);
    if (!run || !run.steps.every((s) => SETTLED.has(s.status)))
      throw new Error(`run of ${openId} not settled: ${JSON.stringify(run?.steps.map((s) => [s.id, s.status]))}`);
    return run;
  }, timeoutMs);
}

/** Every effect of onboarding `hire` that the emulator holds, counted, to compare before and after. */
export function effectsOf(emulator: Emulator, hire: SeedUser) {
  const chats = [...emulator.state.chats.values()];
  const mail = mailState(emulator);
  const drafts = (
    emulator.state.snapshot() as {
      mail: { drafts: { mailbox: string; summary: { to: { mail_address: string }[] } }[] };
    }
  ).mail.drafts;
  const p2p = chats.find((c) => c.chatMode === 'p2p' && c.members.has(hire.open_id));
  const messagesIn = (chatId: string | undefined) =>
    [...emulator.state.messages.values()].filter((m) => m.chatId === chatId && m.sender.type === 'app');
  return {
    inAllHands: emulator.state.chats.get(STANDING.allHands.chatId)?.members.has(hire.open_id) ?? false,
    teamChats: chats.filter((c) => c.chatMode === 'group' && c.name.includes(hire.name)),
    allStaffMembers:
      mail.mailgroups.find((g) => g.email === STANDING.allStaff.email)?.members.filter((m) => m.openId === hire.open_id)
        .length ?? 0,
    contacts: (mail.contacts['chenjing@feishu-ops.example'] ?? []).filter(
      (c) => c.mail_address === hire.enterprise_email,
    ).length,
    drafts: drafts.filter((d) => d.summary.to.some((t) => t.mail_address === hire.enterprise_email)).length,
    welcomeCards: messagesIn(p2p?.chatId).length,
    progressCards: messagesIn(STANDING.admins.chatId).filter((m) => JSON.stringify(m.card).includes(hire.name)),
  };
}

/** A run's step statuses by step id. */
export const statuses = (r: { steps: { id: string; status: string }[] }) =>
  Object.fromEntries(r.steps.map((s) => [s.id, s.status]));

/** Every step of the shipped workflow done. */
export const ALL_DONE = {
  'all-hands': 'done',
  'team-chat': 'done',
  'all-staff': 'done',
  'hr-contact': 'done',
  'welcome-mail': 'done',
  'welcome-card': 'done',
};
