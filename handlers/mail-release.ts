/**
 * The two ends of a held mail (mail-hold.ts): its release, when the inbox hands over the scheduled event, sends it
 * and replaces the held card with the outcome; Undo, clicked by its author before that, keeps it from going out
 * (a draft returns to its preview, ready to Send again). Both decide through the hold's one claim.
 */
import { successCard, type Card } from '../cards/index.js';
import type { App } from '../src/app.js';
import type { Sealing } from '../src/auth/seal.js';
import type { ActionContext, ActionResult, EventContext } from '../src/context.js';
import { MAIL_RELEASE } from '../src/events.js';
import { t } from '../src/i18n.js';
import { authorOnly } from '../src/middleware/author-only.js';
import { ContextSlot } from '../src/middleware/listener.js';
import { sendNow } from './draft-actions.js';
import { previewCard } from './draft-preview.js';
import { readDraft, writeDraft } from './draft-records.js';
import { decideHold, readHold, undoSend, type Fate, type Held } from './mail-hold.js';
import { sendComposed } from './mail.js';
import type { MailAuth } from './sign-in.js';

interface Deps {
  auth: MailAuth;
  sealer: Sealing;
}

// Built when used: a card's `content` is in the default language, which the configuration sets after import.
const gone = (): Card => successCard({ title: t('mail.notSent'), tone: 'info', summary: t('mail.draftGone') });

/** The inbox's turn for a held mail: send it unless Undo came first, and show what happened on its card. */
async function release(ctx: EventContext, deps: Deps, id: string): Promise<void> {
  if (!ctx.hasSender()) return;
  const h = await readHold(ctx.store, deps.sealer, id);
  if (!h) return void ctx.logger.warn({ hold: id }, 'a held mail has no record (expired, or another key): not sent');
  const fate = await decideHold(ctx, deps.sealer, id, async (): Promise<Fate> => {
    if (h.what.kind === 'mail')
      return { outcome: 'sent', card: await sendComposed(ctx, deps.auth, { ...h, what: h.what }) };
    const draft = await readDraft({ kv: ctx.store, sealer: deps.sealer }, h.what.draftId);
    if (!draft) return { outcome: 'sent', card: gone() };
    const sent = await sendNow(ctx, deps, h.what.draftId, draft);
    return { outcome: 'sent', card: sent.card ?? gone() };
  });
  // An Undo that holds the claim right now decides; there is nothing left to show here.
  if (fate.outcome === 'busy' || fate.value.outcome === 'cancelled') return;
  if (h.card) await ctx.gateway.im.patchCard(h.card, fate.value.card);
  else await ctx.send(fate.value.card);
}

const theHold = new ContextSlot<Held>('the held mail');

async function undo(ctx: ActionContext, deps: Deps, id: string): Promise<ActionResult> {
  const h = theHold.get(ctx);
  const fate = await decideHold(ctx, deps.sealer, id, async () => {
    // Taken back once: a draft's next Send is a new hold.
    if (h.what.kind === 'draft') {
      const keeping = { kv: ctx.store, sealer: deps.sealer };
      const draft = await readDraft(keeping, h.what.draftId);
      if (draft) await writeDraft(keeping, h.what.draftId, { ...draft, sendAttempt: (draft.sendAttempt ?? 0) + 1 });
    }
    await ctx.audit('mail.undo-send', h.from, 'ok', h.what.kind === 'draft' ? h.what.draftId : h.subject);
    return { outcome: 'cancelled' };
  });
  if (fate.outcome === 'busy') return { toast: { type: 'info', text: t('mail.goingOut') } };
  if (fate.value.outcome === 'sent')
    return {
      card: fate.value.card,
      toast: { type: 'warning', text: t('mail.tooLate') },
    };
  const toast = { type: 'success' as const, text: t('mail.undone') };
  const draft = h.what.kind === 'draft' && (await readDraft({ kv: ctx.store, sealer: deps.sealer }, h.what.draftId));
  if (h.what.kind === 'draft' && draft)
    return { card: previewCard(h.what.draftId, draft, t('mail.undoneDraft')), toast };
  return {
    card: successCard({
      title: t('mail.undone'),
      tone: 'info',
      summary: t('mail.undoneSummary', { subject: h.subject }),
    }),
    toast,
  };
}

export function registerMailRelease(app: App, deps: Deps): void {
  app.event(MAIL_RELEASE, (ctx, e) => release(ctx, deps, e.hold));
  app.action(
    undoSend,
    authorOnly<{ hold: string }, Held>({
      slot: theHold,
      load: (ctx, { hold }) => readHold(ctx.store, deps.sealer, hold),
      author: (h) => h.author,
      audit: { action: 'mail.undo-send', target: ({ hold }) => hold },
      gone: t('mail.holdGone'),
      notAuthor: t('mail.holdNotAuthor'),
    }),
    (ctx, { hold }) => undo(ctx, deps, hold),
  );
}
