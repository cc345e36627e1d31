/**
 * `audited(action, target)`: one audit record per run of the listener behind it, written when it ends: `ok` when it
 * answered, `error` with the failure's code when it threw (rethrown for the boundary). For listeners whose outcome is
 * simply "it ran" (a skip, a sign-out); a handler that knows more (what it made, what was refused) audits itself.
 *
 *   app.action(skipAction, audited('onboard.skip', ({ run, step }) => `${run}/${step}`), skip);
 */
import type { Context } from '../context.js';
import { errorCodeOf } from '../feishu/errors.js';
import type { ListenerMiddleware } from './listener.js';

export function audited<C extends Context, A, R>(
  action: string,
  target: (args: A, ctx: C) => string,
): ListenerMiddleware<C, A, R> {
  return async (ctx, args, next) => {
    try {
      const answer = await next();
      await ctx.audit(action, target(args, ctx), 'ok');
      return answer;
    } catch (err) {
      await ctx.audit(action, target(args, ctx), 'error', errorCodeOf(err));
      throw err;
    }
  };
}
