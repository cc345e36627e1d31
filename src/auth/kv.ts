/**
 * The slice of the Store that sign-in and the token vault need. Declared here so both run over any key/value
 * backend; the Store (SQLite today, Redis later) satisfies it structurally.
 */
export interface KeyValue {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs?: number): Promise<void>;
  /** Atomic create: true when this call stored the value. */
  setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean>;
  delete(key: string): Promise<void>;
}

/** Injectable randomness, so tests can pin states and verifiers. */
export type RandomBytes = (size: number) => Buffer;
