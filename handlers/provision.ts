/**
 * What the provisioning handlers (/group, /mailgroup, /contact) share: idempotency records for calls Feishu gives
 * no idempotency key, member checks that name every unusable member, the requester's mailbox, and error cards.
 */
import { z } from 'zod';
import { feishuErrorCard, inline, progressCard, type Bilingual, type Card } from '../cards/index.js';
import type { Sealing } from '../src/auth/seal.js';
import type { ActionContext, CommandContext } from '../src/context.js';
import { FeishuError, isUserOutOfReach } from '../src/feishu/errors.js';
import type { DirectoryPort } from '../src/feishu/ports.js';
import { deriveKey } from '../src/keys.js';
import { keyspace } from '../src/store/keyspace.js';

/** A command or a card action: both know who asked. */
export type Ctx = CommandContext | ActionContext;

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

/**
 * The work's stable identity: for a command its dedupe key (the message id Feishu re-pushes under, or an
 * `app.run` origin's own key); for a card action the clicked card, so every click on one card is the same work.
 */
const origin = (ctx: Ctx): string => (ctx.kind === 'action' ? ctx.messageId ?? ctx.dedupeKey : ctx.dedupeKey);

/** An idempotency key for `op` of this delivery, short enough for Feishu's uuid (≤ 50 chars). */
export function idempotencyKey(ctx: Ctx, op: string): string {
  return deriveKey(origin(ctx), op);
}

/**
 * How long a claim outlives its claimant's last heartbeat: a run resumed after a crash waits at most this long
 * for the dead run's claim to lapse. Renewed every third of it while the work runs.
 */
const CLAIM_LEASE_MS = 5_000;
/** How long a command waits for a live claimant (a concurrent run of the same work) before saying so. */
const BUSY_WAIT_MS = 3 * CLAIM_LEASE_MS;

const cardRecord = z.object({ card: z.record(z.string(), z.unknown()).transform((card) => card as Card) });
/** The remembered card, in clear or (for cards that show a mail's recipients or body) sealed under the claim's key. */
const doneRecord = z.union([cardRecord, z.object({ sealed: z.string() })]);

export type OnceResult = { outcome: 'ran' | 'replayed'; card: Card } | { outcome: 'busy' };

/**
 * Runs `work` at most once per `op` and delivery, remembering the card it answered with, so a redelivered command
 * answers with the first result instead of acting twice. The claim is one atomic Store step, so two processes (or
 * two clicks) cannot both start. `resumed` tells `work` that an earlier run claimed it and died before recording its
 * result: its call may or may not have reached Feishu. A failure drops the claim, so retrying runs it again.
 * `busy`: another live run holds it: a card action says so at once; a command first waits for it to finish.
 * `scope` replaces the delivery as the identity when the effect belongs to something else (a chat's mailgroup).
 * `sealer` keeps the remembered card unreadable in the store.
 */
export async function once(
  ctx: Ctx, op: string, work: (resumed: boolean) => Promise<Card>, scope = origin(ctx), sealer?: Sealing,
): Promise<OnceResult> {
  const key = `provision:${op}:${scope}`;
  const ttlMs = ctx.config.app.inbox.dedupeHours * 3_600_000;
  // A click waits for nobody (its answer is due in 3 s); a command, or an action rerun after a crash, waits.
  const waitUntil = Date.now() + (ctx.kind === 'action' && !ctx.resumed ? 0 : BUSY_WAIT_MS);
  let claim = await ctx.store.claim(key, { ttlMs, leaseMs: CLAIM_LEASE_MS });
  while (claim.state === 'busy' && Date.now() < waitUntil) {
    await new Promise((r) => setTimeout(r, CLAIM_LEASE_MS / 5));
    claim = await ctx.store.claim(key, { ttlMs, leaseMs: CLAIM_LEASE_MS });
  }
  if (claim.state === 'busy') return { outcome: 'busy' };
  if (claim.state === 'done') return { outcome: 'replayed', card: recordedCard(claim.result, key, sealer) };
  const { holder } = claim;
  const heartbeat = setInterval(() => {
    ctx.store.renewClaim(key, holder, CLAIM_LEASE_MS).catch((err: unknown) => ctx.logger.warn({ err, key }, 'could not renew a claim'));
  }, CLAIM_LEASE_MS / 3);
  let card: Card;
  try {
    card = await work(claim.state === 'resumed');
  } catch (err) {
    // A reported failure leaves nothing behind to adopt: the next attempt starts afresh.
    await ctx.store.abandon(key, holder);
    throw err;
  } finally {
    clearInterval(heartbeat);
  }
  await ctx.store.complete(key, holder, JSON.stringify(sealer ? { sealed: sealer.seal({ card }, key) } : { card }));
  return { outcome: 'ran', card };
}

function recordedCard(result: string, key: string, sealer: Sealing | undefined): Card {
  const record = doneRecord.parse(JSON.parse(result));
  if ('card' in record) return record.card;
  const opened = sealer && cardRecord.safeParse(sealer.open(record.sealed, key));
  if (!opened?.success) throw new Error(`the recorded result of ${key} cannot be opened: was the encryption key changed?`);
  return opened.data.card;
}

/** How long a command runs before its user sees a "still working" card, which the result then replaces. */
const STILL_WORKING_AFTER_MS = 2_000;
/** Work that showed (or was about to show) a "still working" card; a rerun replaces that card instead of adding one. */
const progressShown = keyspace('progress', z.object({ at: z.number() }), 24 * 3_600_000);

/**
 * Answers a command with the card `work` makes. Work that outlasts STILL_WORKING_AFTER_MS first shows a "still
 * working" card and then patches it with the result, so the user is never left guessing (and never re-sends a
 * create that is merely slow). The progress card has its own uuid, so a rerun (after a crash, or a failure the
 * inbox retries) finds the same card and replaces it; a failure that is not retried replaces it too.
 */
export async function answerInTime(ctx: CommandContext, title: Bilingual, work: () => Promise<Card>): Promise<void> {
  const { messageId } = ctx;
  const running = work();
  const uuid = idempotencyKey(ctx, 'progress');
  const marked = messageId !== undefined && (await progressShown.get(ctx.store, uuid)) !== undefined;
  const quick = marked ? undefined : await Promise.race([
    running.then((card) => ({ card })),
    new Promise<undefined>((r) => setTimeout(() => r(undefined), STILL_WORKING_AFTER_MS).unref()),
  ]);
  if (quick || messageId === undefined) {
    await ctx.reply(quick?.card ?? await running);
    return;
  }
  // Recorded before the reply: a crash in between leaves a rerun that re-sends the same uuid and so finds the card.
  await progressShown.set(ctx.store, uuid, { at: ctx.now() });
  const progress = progressCard({ title, steps: [{ label: { zh: '仍在处理，完成后这张卡片会更新', en: 'Still working; this card updates when done' }, state: 'running' }] });
  const shown = await ctx.gateway.im.replyCard(messageId, progress, { uuid, ...(ctx.chatId ? { chatId: ctx.chatId } : {}) });
  // A failure is answered on this card too (by the error boundary), so it never stays on "working".
  ctx.showingProgress(shown.messageId);
  await ctx.answer(await running);
}

/** What a run that found the same work under way answers. */
export const busyCard = (title: Bilingual): Card => progressCard({
  title,
  steps: [{ label: { zh: '同一操作正在进行，完成后会有结果', en: 'The same request is already being handled; its result follows' }, state: 'running' }],
});

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
  const user = await ctx.gateway.directory.getUser(ctx.sender.openId);
  return user.enterpriseEmail;
}

export const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1).toLowerCase();
