/** The offboarding e2e tests' world: a hire onboarded by the shipped workflow, who then leaves through the emulator. */
import type { Emulator } from '../../src/emulator/index.js';
import { STANDING } from '../../src/emulator/seed.js';
import type { SeedUser } from '../../src/emulator/state.js';
import type { Run } from '../../src/workflows/engine.js';
import { control, eventually, mailState } from './provisioning.js';

const SETTLED = new Set(['done', 'attention', 'skipped', 'not_applicable', 'failed', 'waiting', 'blocked']);

/** Waits until every step of the leaver's offboarding run has settled. */
export async function settledOffboard(
  getRun: (id: string) => Promise<Run | undefined>,
  openId: string,
  timeoutMs = 20_000,
): Promise<Run> {
  return eventually(async () => {
    const run = await getRun(`offboard:${openId}`);
    if (!run || !run.steps.every((s) => SETTLED.has(s.status)))
      throw new Error(
        `offboarding of ${openId} not settled: ${JSON.stringify(run?.steps.map((s) => [s.id, s.status]))}`,
      );
    return run;
  }, timeoutMs);
}

/** The person leaves: marked resigned in the directory, contact.user.deleted_v3 pushed (the console's control). */
export const leave = (emulator: Emulator, user: SeedUser) =>
  control(emulator, 'events/user-deleted', { user: user.open_id });

/** Every step of the shipped offboarding workflow done. */
export const OFFBOARD_DONE = {
  'hand-over': 'done',
  'undo-onboarding': 'done',
  'mail-groups': 'done',
  'all-hands': 'done',
  'hr-contacts': 'done',
  notify: 'done',
};

/** What the leaver still has: chats they are in, mail-group memberships, contacts holding their address. */
export function holdings(emulator: Emulator, leaver: SeedUser) {
  const mail = mailState(emulator);
  const live = [...emulator.state.chats.values()].filter((c) => c.chatMode === 'group' && c.dissolvedAt === undefined);
  return {
    chats: live.filter((c) => c.members.has(leaver.open_id)).map((c) => c.name),
    owns: live.filter((c) => c.ownerId === leaver.open_id).map((c) => c.name),
    inAllHands: emulator.state.chats.get(STANDING.allHands.chatId)?.members.has(leaver.open_id) ?? false,
    mailgroups: mail.mailgroups.filter((g) => g.members.some((m) => m.openId === leaver.open_id)).map((g) => g.email),
    contacts: Object.values(mail.contacts)
      .flat()
      .filter((c) => c.mail_address === leaver.enterprise_email).length,
  };
}

/** Open API calls that change something (every call but reads and the directory look-up by address). */
export const mutatingCalls = (emulator: Emulator, since = 0) =>
  emulator.kit.calls.filter(
    (c) =>
      c.seq > since &&
      c.method !== 'GET' &&
      !c.path.endsWith('/batch_get_id') &&
      !c.path.startsWith('/open-apis/auth/') &&
      !c.path.startsWith('/open-apis/authen/'),
  );
