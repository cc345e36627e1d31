/**
 * The user is never left guessing: a command that outlasts a moment first shows a "still working" card, which its
 * result (or its failure) then replaces.
 */
import { z } from 'zod';
import { progressCard } from '../../cards/index.js';
import type { Card } from '../card.js';
import type { CommandContext } from '../context.js';
import { t } from '../i18n.js';
import type { ListenerMiddleware } from '../middleware/listener.js';
import { keyspace } from '../store/keyspace.js';
import { idempotencyKey } from './once.js';
import type { Text } from '../i18n.js';

/** How long a command runs before its user sees a "still working" card. */
const STILL_WORKING_AFTER_MS = 2_000;
/** Work that showed (or was about to show) a "still working" card; a rerun replaces that card instead of adding one. */
const progressShown = keyspace('progress', z.object({ at: z.number() }), 24 * 3_600_000);

/**
 * Listener middleware for a command whose handler returns its card: when the handler is slow, a "still working"
 * card titled `title(args)` shows first (so nobody re-sends a create that is merely slow), and the handler's card
 * replaces it. The progress card has its own uuid, so a rerun (after a crash, or a failure the inbox retries) finds
 * the same card and replaces it; a failure that is not retried replaces it too (the error boundary answers on it).
 */
export function progressAfter<A>(
  title: (args: A) => Text,
  ms = STILL_WORKING_AFTER_MS,
): ListenerMiddleware<CommandContext, A, Card | void> {
  return async (ctx, args, next) => {
    const { messageId } = ctx;
    const running = next().then((card) => {
      if (!card) throw new Error('a handler behind progressAfter must return its card');
      return card;
    });
    // Settled later (returned below); until then a failure must not count as unhandled.
    running.catch(() => undefined);
    if (messageId === undefined) return running;
    const uuid = idempotencyKey(ctx, 'progress');
    // A quick answer takes the progress card's uuid too: see CommandContext.answerAs.
    ctx.answerAs(uuid);
    const marked = (await progressShown.get(ctx.store, uuid)) !== undefined;
    const quick = marked
      ? undefined
      : await Promise.race([
          running.then((card) => ({ card })),
          new Promise<undefined>((r) => setTimeout(() => r(undefined), ms).unref()),
        ]);
    if (quick) return quick.card;
    // Recorded before the reply: a crash in between leaves a rerun that re-sends the same uuid and so finds the card.
    await progressShown.set(ctx.store, uuid, { at: ctx.now() });
    const progress = progressCard({
      title: title(args),
      steps: [{ label: t('app.stillWorking'), state: 'running' }],
    });
    const shown = await ctx.gateway.im.replyCard(messageId, progress, {
      uuid,
      ...(ctx.chatId ? { chatId: ctx.chatId } : {}),
    });
    // The app answers with the handler's card (or the boundary with its failure) on this card, not beside it.
    ctx.showingProgress(shown.messageId);
    return running;
  };
}

/** What a run that found the same work under way answers. */
export const busyCard = (title: Text): Card =>
  progressCard({ title, steps: [{ label: t('app.alreadyUnderWay'), state: 'running' }] });
