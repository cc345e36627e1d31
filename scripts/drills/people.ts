/**
 * What people do in the mail and onboarding drills, through the emulator: send a command, read the bot's cards,
 * consent on the emulator's authorize page (the browser's redirect to the bot's real /oauth/callback is the
 * drill's to follow), click a button, and read the mail the bot sent as its MIME.
 */
import { setTimeout as pause } from 'node:timers/promises';
import PostalMime from 'postal-mime';
import type { Emulator } from '../../src/emulator/index.js';
import type { EmlSummary } from '../../src/emulator/mime.js';
import type { Message, SeedUser } from '../../src/emulator/state.js';
import { replies, row, text, type Row } from './kit.js';

export function user(emu: Emulator, name: string): SeedUser {
  const u = emu.state.users.find((x) => x.name === name);
  if (!u) throw new Error(`no user ${name} in the emulator's directory`);
  return u;
}

/** Polls `check` every 100 ms until it returns something other than undefined, or `ms` pass. */
export async function waitFor<T>(check: () => T | undefined, ms: number): Promise<T | undefined> {
  const until = Date.now() + ms;
  for (;;) {
    const found = check();
    if (found !== undefined || Date.now() > until) return found;
    await pause(100);
  }
}

/** Cards the bot sent into `who`'s p2p chat. */
export const cardsTo = (emu: Emulator, who: SeedUser): Message[] =>
  [...emu.state.messages.values()].filter(
    (m) => m.chatId === emu.state.p2pChat(who.open_id).chatId && m.sender.type === 'app' && m.card,
  );

/** `from` sends `command` in their p2p chat; resolves with the bot's first reply (undefined after `ms`). */
export async function command(emu: Emulator, from: string, command: string, ms = 15_000): Promise<Message | undefined> {
  const { messageId } = emu.delivery.sendMessage({ from, text: command });
  return waitFor(() => replies(emu, messageId)[0], ms);
}

/** The markdown elements' contents of a card, as sent (user text in them is escaped as numeric entities). */
export function markdownOf(card: unknown): string[] {
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (!node || typeof node !== 'object') return;
    const el = node as Record<string, unknown>;
    if (el.tag === 'markdown' && typeof el.content === 'string') out.push(el.content);
    Object.values(el).forEach(walk);
  };
  walk(card);
  return out;
}

/** What a person reads: numeric entities decoded. */
export const decoded = (s: string): string =>
  s.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));

/** `who` runs `/draft <args>` and clicks Send on its preview `clicks` times at once: the card the first click got. */
export async function draftAndSend(emu: Emulator, who: string, args: string, clicks = 1): Promise<string> {
  const preview = await command(emu, who, `/draft ${args}`);
  if (!preview || !text(preview.card).includes('草稿：'))
    throw new Error(`/draft answered ${text(preview?.card).slice(0, 200)}`);
  const answers = await Promise.all(
    Array.from({ length: clicks }, () =>
      emu.delivery.click({ messageId: preview.messageId, by: who, action: 'draft.send' }),
    ),
  );
  return text(answers[0]?.card);
}

export const signInLink = (card: unknown): string | undefined => /"default_url":"([^"]+)"/.exec(text(card))?.[1];

/**
 * `who` opens the sign-in link in a browser: the bot's start page (which binds the sign-in to this browser with a
 * cookie), then the emulator's authorize page, where they consent. Resolves with the request the browser then makes:
 * Feishu's redirect to the bot's /oauth/callback, carrying the cookie (the caller sends it).
 */
export async function consent(link: string, who: SeedUser): Promise<Request> {
  const start = await fetch(link, { redirect: 'manual' });
  const authorize = start.headers.get('location');
  if (start.status !== 302 || !authorize)
    throw new Error(`the sign-in link answered HTTP ${start.status}: ${await start.text()}`);
  const cookie = start.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const page = new URL(authorize);
  page.searchParams.set('emulator_user', who.open_id);
  const res = await fetch(page, { redirect: 'manual' });
  const location = res.headers.get('location');
  if (res.status !== 302 || !location)
    throw new Error(`the authorize page answered HTTP ${res.status}: ${await res.text()}`);
  return new Request(location, { headers: { cookie } });
}

/** `who` signs in with /login: the sign-in card, consent, the bot's callback page, then the signed-in card. */
export async function signIn(emu: Emulator, who: SeedUser): Promise<string | undefined> {
  const card = await command(emu, who.name, '/login');
  const link = signInLink(card?.card);
  if (!link) return `/login answered no sign-in link: ${text(card?.card).slice(0, 200)}`;
  const callback = await fetch(await consent(link, who));
  if (callback.status !== 200) return `the callback page answered HTTP ${callback.status}`;
  const done = await waitFor(() => cardsTo(emu, who).find((m) => text(m.card).includes('登录成功')), 15_000);
  return done ? undefined : 'no signed-in card after the callback';
}

export interface SentView {
  /** Every address the mail goes to (To, Cc, Bcc), lower case. */
  recipients: string[];
  html: string;
}

type EmulatedMail = { mailbox: string; raw: string; summary: EmlSummary };
/** Mail by a part of its subject, or by one of its recipients. */
export type MailMatch = { subject: string } | { to: string };

/** Sent mail (or drafts) in the emulator that match. */
export function mail(emu: Emulator, box: 'sent' | 'drafts', match: MailMatch): EmulatedMail[] {
  const all = (emu.state.snapshot() as { mail: Record<'sent' | 'drafts', EmulatedMail[]> }).mail[box];
  return all.filter((m) =>
    'subject' in match
      ? m.summary.subject.includes(match.subject)
      : [...m.summary.to, ...m.summary.cc, ...m.summary.bcc].some(
          (a) => a.mail_address.toLowerCase() === match.to.toLowerCase(),
        ),
  );
}

/** A sent mail as its recipients' mail clients read it: the MIME parsed. */
export async function read(mail: EmulatedMail): Promise<SentView> {
  const m = await PostalMime.parse(Buffer.from(mail.raw, 'base64url'));
  const addresses = [...(m.to ?? []), ...(m.cc ?? []), ...(m.bcc ?? [])].flatMap((a) => a.group ?? [a]);
  return { recipients: addresses.map((a) => a.address.toLowerCase()), html: m.html ?? '' };
}

/** Effects that must happen exactly once, and the problems met on the way, counted into a table row. */
export class Outcomes {
  private tried = 0;
  private completed = 0;
  private lost = 0;
  private duplicated = 0;
  reportedFailed = 0;
  private readonly notes: string[] = [];
  private readonly problems: string[] = [];

  problem(what: string): void {
    this.problems.push(what);
  }

  /**
   * Waits up to `ms` for every effect to show in its count, then a second more for late duplicates, and counts
   * each as completed (once), lost or duplicated.
   */
  async exactlyOnce(effects: Record<string, () => number>, ms = 10_000): Promise<void> {
    const counts = Object.values(effects);
    await waitFor(() => (counts.every((c) => c() > 0) ? true : undefined), ms);
    await pause(1_000);
    for (const [what, count] of Object.entries(effects)) {
      this.tried++;
      const c = count();
      if (c === 1) this.completed++;
      else if (c === 0) {
        this.lost++;
        this.notes.push(`${what}: lost`);
      } else {
        this.duplicated++;
        this.notes.push(`${what}: ×${c}`);
      }
    }
  }

  /** `moreTried`: attempts that failed before their effect could be waited for. */
  row(drill: string, moreTried = 0): Row {
    return row({
      drill,
      tried: this.tried + moreTried,
      completed: this.completed,
      reportedFailed: this.reportedFailed,
      lost: this.lost,
      duplicated: this.duplicated,
      problems: this.problems.length,
      note: [...this.notes, ...this.problems].join('; '),
    });
  }
}
