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

const GONE: Card = successCard({
  title: { zh: '邮件未发送', en: 'Mail not sent' },
  tone: 'info',
  summary: {
    zh: '草稿在发送前已被删除或丢弃。',
    en: 'The draft was deleted or discarded before it could go out.',
  },
});

/** The inbox's turn for a held mail: send it unless Undo came first, and show what happened on its card. */
async function release(ctx: EventContext, deps: Deps, id: string): Promise<void> {
  if (!ctx.hasSender()) return;
  const h = await readHold(ctx.store, deps.sealer, id);
  if (!h) return void ctx.logger.warn({ hold: id }, 'a held mail has no record (expired, or another key): not sent');
  const fate = await decideHold(ctx, deps.sealer, id, async (): Promise<Fate> => {
    if (h.what.kind === 'mail')
      return { outcome: 'sent', card: await sendComposed(ctx, deps.auth, { ...h, what: h.what }) };
    const draft = await readDraft({ kv: ctx.store, sealer: deps.sealer }, h.what.draftId);
    if (!draft) return { outcome: 'sent', card: GONE };
    const sent = await sendNow(ctx, deps, h.what.draftId, draft);
    return { outcome: 'sent', card: sent.card ?? GONE };
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
  if (fate.outcome === 'busy')
    return { toast: { type: 'info', text: { zh: '邮件正在发出，无法撤销', en: 'The mail is going out right now' } } };
  if (fate.value.outcome === 'sent')
    return {
      card: fate.value.card,
      toast: { type: 'warning', text: { zh: '邮件已经发出，无法撤销', en: 'Already sent: too late to undo' } },
    };
  const toast = { type: 'success' as const, text: { zh: '已撤销发送', en: 'Not sent' } };
  const draft = h.what.kind === 'draft' && (await readDraft({ kv: ctx.store, sealer: deps.sealer }, h.what.draftId));
  if (h.what.kind === 'draft' && draft)
    return {
      card: previewCard(h.what.draftId, draft, { zh: '已撤销发送，草稿仍在', en: 'Not sent: the draft is still here' }),
      toast,
    };
  return {
    card: successCard({
      title: { zh: '已撤销发送', en: 'Not sent' },
      tone: 'info',
      summary: { zh: `邮件“${h.subject}”没有发出。`, en: `The mail "${h.subject}" did not go out.` },
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
      gone: { zh: '找不到这封待发邮件', en: 'This held mail is no longer on record' },
      notAuthor: { zh: '只有发件人可以撤销发送', en: 'Only the sender can undo the send' },
    }),
    (ctx, { hold }) => undo(ctx, deps, hold),
  );
}
