/**
 * Any error a handler throws becomes an error card with a short reference id, also logged with the stack, so a user
 * can quote it to an admin. A FeishuError is explained in plain words with its next step. Never rethrows.
 */
import { randomBytes } from 'node:crypto';
import { errorCard, type Bilingual, type Card } from '../../cards/index.js';
import type { Context } from '../context.js';
import { FeishuError } from '../feishu/errors.js';
import type { Middleware } from './compose.js';

export const newReference = (): string => randomBytes(4).toString('hex');

function failureCard(err: unknown, reference: string): Card {
  const title: Bilingual = { zh: '操作失败', en: 'Something went wrong' };
  if (err instanceof FeishuError) {
    const { problem, nextStep } = err.explain();
    return errorCard({ title, problems: [problem], nextStep, code: err.code, reference });
  }
  return errorCard({
    title,
    problems: [{ zh: '处理时出现了意外错误', en: 'An unexpected error happened while handling this' }],
    nextStep: { zh: '请稍后重试；如果仍然失败，把参考编号发给管理员', en: 'Try again later; if it keeps failing, send the reference to an admin' },
    reference,
  });
}

export function errorBoundary(reference: () => string = newReference): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const ref = reference();
      ctx.outcome = 'error';
      ctx.logger.error({ err, reference: ref }, 'handler failed');
      if (ctx.target) {
        await ctx.audit(ctx.target.key, ctx.chatId ?? ctx.messageId ?? '-', 'error', `reference ${ref}`).catch((e: unknown) =>
          ctx.logger.error({ err: e }, 'could not write the audit record'));
      }
      await report(ctx, failureCard(err, ref), ref).catch((e: unknown) =>
        ctx.logger.error({ err: e, reference: ref }, 'could not post the error card'));
    }
  };
}

/** Tell whoever can act: the person who asked, else the chat, else the admins. */
async function report(ctx: Context, card: Card, ref: string): Promise<void> {
  if (ctx.kind === 'action' || ctx.messageId || ctx.chatId || ctx.sender) {
    await ctx.answer(card, { type: 'error', text: { zh: `操作失败（参考编号 ${ref}）`, en: `Failed (reference ${ref})` } });
    return;
  }
  await Promise.all(ctx.config.app.admins.map((openId) => ctx.gateway.im.sendCard({ openId }, card)));
}
