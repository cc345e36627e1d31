/**
 * Listener middleware: what runs between the app's middleware and one handler, listed where the handler is
 * registered (bolt-js listener middleware, grammY composers), so a guard is written once and named where it applies:
 *
 *   app.action(sendDraft, authorOnly, async (ctx, { draftId }) => …);
 *
 * A listener middleware sees the handler's context and arguments; it calls `next()` to go on, or answers instead by
 * returning without calling it. What it learns for the handler it puts in a `ContextSlot`.
 */
import type { Context } from '../context.js';

export type ListenerMiddleware<C, A, R> = (ctx: C, args: A, next: () => Promise<R>) => Promise<R>;
export type Listener<C, A, R> = (ctx: C, args: A) => Promise<R>;
/** Registration's tail: any listener middleware, then the handler. */
export type Listeners<C, A, R> = readonly [...ListenerMiddleware<C, A, R>[], Listener<C, A, R>];

/** One function from a registration's listeners: each middleware in order, then the handler. */
export function chain<C, A, R>(listeners: Listeners<C, A, R>): Listener<C, A, R> {
  // The tuple's last element is the handler; TypeScript cannot split a variadic tuple without help.
  const handler = listeners[listeners.length - 1] as Listener<C, A, R>;
  const middleware = listeners.slice(0, -1) as ListenerMiddleware<C, A, R>[];
  return (ctx, args) => {
    const run = (i: number): Promise<R> => {
      const mw = middleware[i];
      if (!mw) return handler(ctx, args);
      let called = false;
      return mw(ctx, args, () => {
        if (called) return Promise.reject(new Error('next() called twice by one listener middleware'));
        called = true;
        return run(i + 1);
      });
    };
    return run(0);
  };
}

/**
 * A value a listener middleware found for the handler after it (the draft `authorOnly` loaded), kept with the
 * context for as long as the context lives.
 */
export class ContextSlot<T> {
  readonly #values = new WeakMap<Context, T>();

  constructor(readonly name: string) {}

  set(ctx: Context, value: T): void {
    this.#values.set(ctx, value);
  }

  get(ctx: Context): T {
    if (!this.#values.has(ctx))
      throw new Error(`${this.name} is set by a listener middleware that did not run before this handler`);
    return this.#values.get(ctx)!;
  }
}
