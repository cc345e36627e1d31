/**
 * What the provisioning handlers (/group, /mailgroup, /contact) share: idempotency records for calls Feishu gives
 * no idempotency key, member checks that name every unusable member, the requester's mailbox, and error cards.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { feishuErrorCard, inline, type Bilingual, type Card } from '../cards/index.js';
import type { Context } from '../src/context.js';
import { FeishuError, isUserOutOfReach } from '../src/feishu/errors.js';
import type { DirectoryPort } from '../src/feishu/ports.js';

export type Ctx = Context;

/** A user as the parser hands over an @mention (also `owner=@user`). */
export const userRef = z.object({ openId: z.string(), name: z.string() });
export type UserRef = z.infer<typeof userRef>;

/** Length in characters (code points), as the Feishu docs count them; the message names the limit and the length. */
export function chars(max: number, min = 0) {
  return z.string().superRefine((s, issue) => {
    const n = [...s].length;
    if (n >= min && n <= max) return;
    const range = min > 0 ? `${min}–${max}` : `≤ ${max}`;
    issue.addIssue({ code: 'custom', message: `长度须为 ${range} 个字符（现在 ${n} 个） / must be ${range} characters long (it is ${n})` });
  });
}

/** The delivery's stable identity: a command's message id (what Feishu re-pushes under), else the event id. */
const origin = (ctx: Ctx): string => ctx.messageId ?? ctx.eventId;

/** An idempotency key for `op` of this delivery, short enough for Feishu's uuid (≤ 50 chars). */
export function idempotencyKey(ctx: Ctx, op: string): string {
  return createHash('sha256').update(`${origin(ctx)}|${op}`).digest('hex').slice(0, 32);
}

const record = z.discriminatedUnion('state', [
  z.object({ state: z.literal('started') }),
  z.object({ state: z.literal('done'), card: z.record(z.string(), z.unknown()) }),
]);

/**
 * Runs `work` at most once per delivery and `op` to completion, remembering the card it answered with, so a
 * redelivered command answers with the first result instead of acting twice. `resumed` tells `work` that an earlier
 * run started and died before recording its result: its call may or may not have reached Feishu. A failure clears
 * the record, so retrying a failed command (or button) runs it again.
 * `scope` replaces the delivery as the identity when the effect belongs to something else (a chat's mailgroup).
 */
export async function once(ctx: Ctx, op: string, work: (resumed: boolean) => Promise<Card>, scope = origin(ctx)): Promise<{ card: Card; replayed: boolean }> {
  const key = `provision:${op}:${scope}`;
  const ttl = ctx.config.app.inbox.dedupeHours * 3_600_000;
  const raw = await ctx.store.get(key);
  const prior = raw === undefined ? undefined : record.parse(JSON.parse(raw));
  if (prior?.state === 'done') return { card: prior.card, replayed: true };
  await ctx.store.set(key, JSON.stringify({ state: 'started' }), ttl);
  let card: Card;
  try {
    card = await work(prior?.state === 'started');
  } catch (err) {
    // A reported failure leaves nothing behind to adopt: the next attempt starts afresh.
    await ctx.store.delete(key);
    throw err;
  }
  await ctx.store.set(key, JSON.stringify({ state: 'done', card }), ttl);
  return { card, replayed: false };
}

/** A Feishu failure as a card naming the problem and the next step; anything else is a bug for the error boundary. */
export function failureCard(title: Bilingual, err: unknown, example?: string): Card {
  if (err instanceof FeishuError) return feishuErrorCard(title, err, example);
  throw err;
}

export interface Unusable {
  openId: string;
  name: string;
  reason: Bilingual;
}

/**
 * Looks every user up before any create call, so one resigned or out-of-scope member does not fail the whole
 * call (Feishu rejects the entire chat create for one such id) and each is reported by name.
 */
export async function checkUsers(directory: DirectoryPort, users: readonly UserRef[]): Promise<{ usable: UserRef[]; unusable: Unusable[] }> {
  const unique = [...new Map(users.map((u) => [u.openId, u])).values()];
  const verdicts = await Promise.all(unique.map(async (u): Promise<Unusable | undefined> => {
    try {
      const found = await directory.getUser(u.openId);
      return found.isResigned ? { ...u, reason: { zh: '已离职', en: 'has left the organisation' } } : undefined;
    } catch (err) {
      if (isUserOutOfReach(err)) {
        return { ...u, reason: { zh: '不在应用的通讯录范围内', en: 'is outside the app\'s contact scope' } };
      }
      throw err;
    }
  }));
  return {
    usable: unique.filter((_, i) => verdicts[i] === undefined),
    unusable: verdicts.filter((v): v is Unusable => v !== undefined),
  };
}

export const describeUnusable = (u: Unusable): string => `${u.name}：${inline(u.reason)}`;

/** The requester's own mailbox address: the handlers use the tenant token, which cannot say "me". */
export async function ownMailbox(ctx: Ctx): Promise<string | undefined> {
  if (!ctx.sender) return undefined;
  const user = await ctx.gateway.directory.getUser(ctx.sender.openId);
  return user.enterpriseEmail;
}

export const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1).toLowerCase();
