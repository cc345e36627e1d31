/**
 * Offboarding under fire: hires onboarded by the shipped workflow, each with a chat of their own, leave through the
 * emulator's route (contact.user.deleted_v3); the bot is SIGKILLed while the first runs are under way and the rest
 * leave while it is down, and every other leaver's event is pushed a second time. Every leaver's run must end with
 * each step done or amber with what a person must do, and no effect may happen twice: a contact deleted, a chat handed
 * over or dissolved, a mail-group removal, a welcome card recalled, a leader told, counted from the call log.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as pause } from 'node:timers/promises';
import type { EventRecord } from '../../src/emulator/delivery.js';
import type { Emulator } from '../../src/emulator/index.js';
import { STANDING } from '../../src/emulator/seed.js';
import type { SeedUser } from '../../src/emulator/state.js';
import { BotProcess, n, row, text, type Row } from './kit.js';
import { announce, onboardingWorld, settledSteps, SHIPPED_BOT, WELCOME_DRAFT } from './onboarding.js';
import { command, signIn, waitFor } from './people.js';

const shipped = JSON.parse(readFileSync(new URL('../../app.config.json', import.meta.url), 'utf8')) as {
  onboarding: { steps: { id: string; kind: string; mailbox?: string }[] };
  offboarding: { steps: { id: string }[] };
};
const OFFBOARDING = { title: '离职流程', steps: shipped.offboarding.steps.map((s) => s.id) };
const HR_MAILBOX = shipped.onboarding.steps.find((s) => s.kind === 'mail-contact')!.mailbox!;

/** What a leaver had before leaving: their own chat, the team chat onboarding made, the contact of them HR holds. */
interface Leaver {
  user: SeedUser;
  ownChat: string;
  teamChat?: string;
  contactIds: string[];
  events: EventRecord[];
}

const contactsOf = (emu: Emulator, who: SeedUser) =>
  (
    (emu.state.snapshot() as { mail: { contacts: Record<string, { id: string; mail_address?: string }[]> } }).mail
      .contacts[HR_MAILBOX] ?? []
  ).filter((c) => c.mail_address === who.enterprise_email);

/** Answered calls (2xx) of `method` to exactly `path`: the effects Feishu performed. */
const performed = (emu: Emulator, method: string, path: string) =>
  emu.kit.calls.filter((c) => c.method === method && c.path === path && c.status !== undefined && c.status < 300)
    .length;

/** Pushes again, every 3 s, the events a bot that was down never acknowledged (Feishu's later retries, sooner). */
async function delivered(emu: Emulator, events: EventRecord[], ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (events.some((e) => e.state !== 'delivered') && Date.now() < until) {
    for (const e of events) if (e.state !== 'delivered') await emu.delivery.redeliver(e);
    await pause(3_000);
  }
}

export async function offboardingDrill(): Promise<Row> {
  const world = await onboardingWorld();
  const { emu, dataDir } = world;
  const problems: string[] = [];
  // The welcome mail's sender signs in first, so onboarding finishes with every step done.
  const sender = emu.state.userByOpenId(WELCOME_DRAFT.sender!)!;
  const failedSignIn = await signIn(emu, sender);
  if (failedSignIn) problems.push(`${sender.name}'s sign-in: ${failedSignIn}`);

  const total = n(4);
  const leavers: Leaver[] = [];
  for (let i = 0; i < total; i++) {
    const user = announce(emu, {
      name: `离职演练${i}`,
      enName: `Leaver ${i}`,
      department: 'eng',
      leader: '王芳',
      jobTitle: 'Engineer',
    });
    const onboarded = await waitFor(() => settledSteps(emu, user), 30_000);
    const notDone = Object.entries(onboarded ?? { all: 'never settled' }).filter(([, s]) => s !== 'done');
    if (notDone.length)
      problems.push(`${user.name}'s onboarding: ${notDone.map(([id, s]) => `${id} ${s}`).join(', ')}`);
    const made = await command(emu, user.name, `/group create 离职演练群${i}`);
    const chats = [...emu.state.chats.values()].filter((c) => c.chatMode === 'group' && c.dissolvedAt === undefined);
    const own = chats.find((c) => c.name === `离职演练群${i}` && c.ownerId === user.open_id);
    if (!own) {
      problems.push(`${user.name} could not make a chat: ${text(made?.card).slice(0, 120)}`);
      continue;
    }
    const team = chats.find((c) => c.name.includes(user.name) && c.name.includes('入职'));
    leavers.push({
      user,
      ownChat: own.chatId,
      ...(team ? { teamChat: team.chatId } : {}),
      contactIds: contactsOf(emu, user).map((c) => c.id),
      events: [],
    });
  }
  // The onboarding runs' last card updates land before anyone leaves.
  await pause(1_000);

  const leave = async (l: Leaver) => {
    const res = await fetch(`${emu.url}/_emulator/events/user-deleted`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user: l.user.open_id }),
    });
    const { eventId } = (await res.json()) as { eventId?: string };
    const record = emu.delivery.events.find((e) => e.eventId === eventId);
    if (record) l.events.push(record);
    else problems.push(`${l.user.name}: the emulator answered HTTP ${res.status} to user-deleted`);
  };
  // The first half leave; once the bot is at work on them, SIGKILL; the rest leave while it is down.
  const half = Math.ceil(leavers.length / 2);
  for (const l of leavers.slice(0, half)) await leave(l);
  const deletes = `/open-apis/mail/v1/user_mailboxes/${HR_MAILBOX}/mail_contacts/`;
  await waitFor(
    () => (emu.kit.calls.some((c) => c.method === 'DELETE' && c.path.startsWith(deletes)) ? true : undefined),
    20_000,
  );
  await world.bot.stop('SIGKILL');
  const atKill = emu.kit.calls.filter((c) => c.method === 'DELETE' && c.path.startsWith(deletes)).length;
  for (const l of leavers.slice(half)) await leave(l);
  await new BotProcess(emu, dataDir, SHIPPED_BOT).start();
  // Every other leaver's event comes twice: a second contact.user.deleted_v3 (a new event id), as Feishu may send.
  for (const [i, l] of leavers.entries())
    if (i % 2 === 0) l.events.push(emu.delivery.userEvent('contact.user.deleted_v3', l.user));
  await delivered(
    emu,
    leavers.flatMap((l) => l.events),
    60_000,
  );

  const r = { completed: 0, reportedFailed: 0, lost: 0, duplicated: 0 };
  const notes: string[] = [];
  for (const l of leavers) {
    const states = await waitFor(() => settledSteps(emu, l.user, OFFBOARDING), 45_000);
    const who = l.user.name;
    const effects: Record<string, number> = {
      'hand-over': performed(emu, 'PUT', `/open-apis/im/v1/chats/${l.ownChat}`),
      ...(l.teamChat
        ? { 'team chat dissolved': performed(emu, 'DELETE', `/open-apis/im/v1/chats/${l.teamChat}`) }
        : {}),
      ...Object.fromEntries(
        l.contactIds.map((id) => [`contact ${id} deleted`, performed(emu, 'DELETE', `${deletes}${id}`)]),
      ),
      'leader told': [...emu.state.messages.values()].filter(
        (m) => m.sender.type === 'app' && text(m.card).includes(`${who} 已离职`) && m.chatId !== STANDING.admins.chatId,
      ).length,
    };
    const twice = Object.entries(effects).filter(([, c]) => c > 1);
    if (twice.length) {
      r.duplicated++;
      notes.push(`${who}: ${twice.map(([what, c]) => `${what} ×${c}`).join(', ')}`);
      continue;
    }
    if (!states) {
      r.lost++;
      notes.push(`${who}: offboarding never settled`);
      continue;
    }
    const amber = Object.entries(states).filter(([, s]) => s === 'needs a person');
    const bad = Object.entries(states).filter(([, s]) => s !== 'done' && s !== 'needs a person');
    const left = {
      ownChatStillTheirs: emu.state.chats.get(l.ownChat)?.ownerId === l.user.open_id,
      inAllHands: emu.state.chats.get(STANDING.allHands.chatId)?.members.has(l.user.open_id) ?? false,
      contacts: contactsOf(emu, l.user).length,
    };
    if (bad.length) problems.push(`${who}: ${bad.map(([id, s]) => `${id} ${s}`).join(', ')}`);
    else if (amber.length) r.reportedFailed++;
    else if (Object.values(effects).some((c) => c === 0) || left.ownChatStillTheirs || left.inAllHands || left.contacts)
      problems.push(`${who}: every step says done, yet ${JSON.stringify({ ...effects, ...left })}`);
    else r.completed++;
  }
  const twiceDelivered = leavers.filter((l) => l.events.length > 1).length;
  return row({
    drill: `offboarding ×${total}, SIGKILL mid-way, ${twiceDelivered} events pushed twice`,
    tried: total,
    ...r,
    lost: r.lost + (total - leavers.length),
    problems: problems.length,
    note: [
      `SIGKILL after ${atKill} of ${leavers.reduce((k, l) => k + l.contactIds.length, 0)} contact deletes`,
      ...notes,
      ...problems,
    ].join('; '),
  });
}
