/**
 * A small in-memory cache whose entries expire `ttlMs` after they were stored, bounded by `max` entries (the
 * oldest is dropped first). Concurrent loads of one key share one promise; a failed load is not kept.
 */
export class TtlCache<V> {
  readonly #entries = new Map<string, { at: number; value: Promise<V> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly max = 10_000,
    private readonly now: () => number = Date.now,
  ) {
    if (!(ttlMs > 0) || !(max > 0)) throw new Error('TtlCache needs a positive ttlMs and max');
  }

  get(key: string, load: () => Promise<V>): Promise<V> {
    const hit = this.#entries.get(key);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.value;
    const value = load();
    this.#entries.delete(key); // re-inserted last: Map order is the eviction order
    this.#entries.set(key, { at: this.now(), value });
    value.catch(() => {
      if (this.#entries.get(key)?.value === value) this.#entries.delete(key);
    });
    if (this.#entries.size > this.max) this.#entries.delete(this.#entries.keys().next().value as string);
    return value;
  }

  /** Forgets the key: the next get loads it again. */
  delete(key: string): void {
    this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }
}
