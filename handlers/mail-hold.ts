/**
 * Undo send: Send on a draft's preview and /mail send hold the mail for `mail.undoSendSeconds` behind a card with
 * 撤销 Undo. The hold is durable: its record (sealed: it names the recipients, and a /mail send's body) and its
 * release, an internal event the inbox holds back until the time comes. The release and Undo meet on one claim per
 * hold ("hold-fate"): whichever takes it first decides, so a mail is never sent after Undo and never twice.
 * The release and Undo themselves are in mail-release.ts; this module is what the senders need.
 */
import { z } from 'zod';
import { mailHeldCard, type Card } from '../cards/index.js';
import { defineAction } from '../src/actions.js';
import type { Sealing } from '../src/auth/seal.js';
import type { Ctx } from '../src/effects/once.js';
import { runOnce } from '../src/effects/once.js';
import { busyCard } from '../src/effects/progress.js';
import { MAIL_RELEASE } from '../src/events.js';
import { t } from '../src/i18n.js';
import { keyspace } from '../src/store/keyspace.js';
import type { KvPort } from '../src/store/store.js';

export const heldSchema = z.object({
  author: z.string(),
  from: z.string(),
  recipients: z.array(z.string()),
  subject: z.string(),
  dueAt: z.number(),
  chatId: z.string().optional(),
  /** The card that shows the hold: the outcome replaces it. */
  card: z.string().optional(),
  what: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('draft'), draftId: z.string() }),
    z.object({ kind: z.literal('mail'), raw: z.string(), dedupeKey: z.string() }),
  ]),
});
export type Held = z.infer<typeof heldSchema>;

/** Outlives any hold (at most 10 minutes) and the inbox's retries of its release. */
const holds = keyspace('mail-hold', z.string(), 24 * 3_600_000);

export async function readHold(kv: KvPort, sealer: Sealing, id: string): Promise<Held | undefined> {
  const sealed = await holds.get(kv, id);
  const opened = sealed === undefined ? undefined : heldSchema.safeParse(sealer.open(sealed, holds.key(id)));
  return opened?.success ? opened.data : undefined;
}

export const undoSend = defineAction('mail.undo-send', z.object({ hold: z.string().min(1) }), {
  progress: t('mail.undoing'),
});

/** What decided a hold: the send (with the card it ended on), or Undo. Recorded on the hold's claim. */
export type Fate = { outcome: 'sent'; card: Card } | { outcome: 'cancelled' };
export const FATE = 'hold-fate';

const heldCard = (h: Held, id: string, seconds: number): Card =>
  mailHeldCard({
    from: h.from,
    recipients: h.recipients,
    subject: h.subject,
    seconds,
    sendsAt: `${new Date(h.dueAt).toISOString().slice(11, 19)} UTC`,
    undo: undoSend.button({ hold: id }, { label: t('mail.undo'), style: 'danger', confirm: t('mail.undoConfirm') }),
  });

/**
 * Holds a mail for `seconds`: records it, schedules its release and answers with the held card, once per hold id
 * (a double click or a redelivery answers with the same card). `shownOn`: the card already on screen that the
 * outcome replaces (a clicked preview); without it the held card is posted as a reply here and that one is used.
 */
export async function holdMail(
  ctx: Ctx,
  sealer: Sealing,
  id: string,
  mail: Omit<Held, 'dueAt' | 'card' | 'author' | 'chatId'>,
  seconds: number,
  shownOn?: string,
): Promise<Card> {
  const done = await runOnce(
    ctx,
    'hold',
    async () => {
      const h: Held = {
        ...mail,
        author: ctx.sender.openId,
        dueAt: ctx.now() + seconds * 1000,
        ...(ctx.chatId ? { chatId: ctx.chatId } : {}),
      };
      const card = heldCard(h, id, seconds);
      const on = shownOn ?? (await ctx.reply(card)).messageId;
      await holds.set(ctx.store, id, sealer.seal(heldSchema.parse({ ...h, card: on }), holds.key(id)));
      // Recorded first: a release that finds no record would have nothing to send.
      await ctx.later(
        MAIL_RELEASE,
        { hold: id, author: h.author, ...(h.chatId ? { chat_id: h.chatId } : {}) },
        { key: `hold:${id}`, at: h.dueAt },
      );
      return card;
    },
    { scope: id, sealer },
  );
  return done.outcome === 'busy' ? busyCard(t('mail.sending')) : done.value;
}

/** Decides the hold's fate once: `work` runs only if nothing decided it before; otherwise the first decision. */
export const decideHold = (ctx: Ctx, sealer: Sealing, id: string, work: () => Promise<Fate>) =>
  runOnce<Fate>(ctx, FATE, work, { scope: id, sealer });
