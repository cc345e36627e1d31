/**
 * Per-key serialisation: one user's token refreshes, one user's commands, one mailbox's sends, one rate-limit key's
 * waiting callers. In process by default; a Redis lock can replace it when several bots share a store.
 */
/** Runs `fn` after every earlier run of the same key has finished, in call order. */
export interface KeyedLock {
  run<T>(key: string, fn: () => Promise<T>): Promise<T>;
}

export class InProcessLock implements KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    // Tails never reject (below), so `fn` runs once the previous run has ended, however it ended.
    const result = previous.then(() => fn());
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
