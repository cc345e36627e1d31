/**
 * Any error a handler throws becomes an error card with a short reference id, also logged with the stack, so a user
 * can quote it to an admin. A FeishuError is explained in plain words with its next step.
 *
 * A retryable failure (Feishu busy, no answer, a 5xx: the outcome may be unknown; the store out of reach for a
 * moment) of work the inbox will run again is not a card: it goes back to the inbox, whose rerun uses the same
 * idempotency keys. On the last attempt it becomes an honest card: what may or may not have happened, and how to
 * check before trying again.
 */
import { randomBytes } from 'node:crypto';
import { errorCard, type Card } from '../../cards/index.js';
import type { Context } from '../context.js';
import { FeishuError, mayHaveBeenPerformed } from '../feishu/errors.js';
import { t } from '../i18n.js';
import { isStoreUnavailable } from '../store/store.js';
import type { Middleware } from './compose.js';
import type { ListenerMiddleware } from './listener.js';

export const newReference = (): string => randomBytes(4).toString('hex');

/** Retried by the inbox rather than answered: rethrown, so the inbox sees the failure. */
const goesBackToInbox = (ctx: Context, err: unknown): boolean =>
  ((err instanceof FeishuError && err.retryable) || isStoreUnavailable(err)) && !ctx.finalAttempt;

function failureCard(err: unknown, reference: string): Card {
  if (err instanceof FeishuError && err.retryable) {
    const { problem } = err.explain();
    const what = mayHaveBeenPerformed(err) ? 'outcomeUnknown' : 'busy';
    return errorCard({
      title: t(`errors.${what}.title`),
      problems: [problem, t(`errors.${what}.problem`)],
      nextStep: t(`errors.${what}.nextStep`),
      code: err.code,
      reference,
    });
  }
  const title = t('errors.unexpected.title');
  if (err instanceof FeishuError) {
    // A code that says plainly what happened (41050: someone outside the contact scope) titles the card with it.
    const { problem, nextStep, title: happened } = err.explain();
    return errorCard({ title: happened ?? title, problems: [problem], nextStep, code: err.code, reference });
  }
  return errorCard({
    title,
    problems: [t('errors.unexpected.problem')],
    nextStep: t('errors.unexpected.nextStep'),
    reference,
  });
}

export function errorBoundary(reference: () => string = newReference): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      if (goesBackToInbox(ctx, err)) {
        ctx.logger.warn({ err }, 'retryable failure: back to the inbox, which runs this again');
        throw err;
      }
      const ref = reference();
      ctx.outcome = 'error';
      ctx.logger.error({ err, reference: ref }, 'handler failed');
      if (ctx.target) {
        await ctx
          .audit(ctx.target.key, ctx.chatId ?? ctx.messageId ?? '-', 'error', `reference ${ref}`)
          .catch((e: unknown) => ctx.logger.error({ err: e }, 'could not write the audit record'));
      }
      await report(ctx, failureCard(err, ref), ref).catch((e: unknown) =>
        ctx.logger.error({ err: e, reference: ref }, 'could not post the error card'),
      );
    }
  };
}

/** Tell whoever can act: the person who asked, else the chat, else the admins. */
async function report(ctx: Context, card: Card, ref: string): Promise<void> {
  if (ctx.kind === 'action' || ctx.messageId || ctx.chatId || ctx.sender) {
    await ctx.answer(card, { type: 'error', text: t('errors.failedToast', { reference: ref }) });
    return;
  }
  await Promise.all(ctx.config.app.admins.map((openId) => ctx.gateway.im.sendCard({ openId }, card)));
}

/**
 * A boundary scoped to one listener (grammY's `errorBoundary`): what the listeners after it throw becomes the answer
 * `onError` makes (a card naming the command's own failure and its next step), while a retryable failure still goes
 * back to the inbox. What `onError` throws in turn reaches the app's boundary.
 *
 *   app.command('contact add', spec, recover(contactFailed), once('contact', …), addContact);
 */
export function recover<C extends Context, A, R>(
  onError: (ctx: C, args: A, err: unknown) => Promise<NoInfer<R>>,
): ListenerMiddleware<C, A, R> {
  return async (ctx, args, next) => {
    try {
      return await next();
    } catch (err) {
      if (goesBackToInbox(ctx, err)) throw err;
      return onError(ctx, args, err);
    }
  };
}
