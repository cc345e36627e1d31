/** Koa-style middleware: each step may act before and after `await next()`, or stop by not calling it. */
import type { Context } from '../context.js';

export type Next = () => Promise<void>;
export type Middleware = (ctx: Context, next: Next) => Promise<void>;

export function compose(stack: readonly Middleware[]): (ctx: Context, last: Next) => Promise<void> {
  return (ctx, last) => {
    const run = async (i: number): Promise<void> => {
      const mw = stack[i];
      if (!mw) return last();
      let called = false;
      await mw(ctx, () => {
        if (called) return Promise.reject(new Error('next() called twice by one middleware'));
        called = true;
        return run(i + 1);
      });
    };
    return run(0);
  };
}
