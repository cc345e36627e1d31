import type { KeyedLock } from '../store/lock.js';
import type { Middleware } from './compose.js';

/**
 * Commands of one user run one at a time, in the order they reached the app: a /draft and the /mail send typed
 * right after it must not overtake each other. Card clicks and other events are not held up.
 */
export function serializeUserCommands(lock: KeyedLock): Middleware {
  return async (ctx, next) => {
    if (ctx.kind !== 'message' || ctx.target?.kind !== 'command' || !ctx.sender) return next();
    await lock.run(`commands:${ctx.sender.openId}`, next);
  };
}
