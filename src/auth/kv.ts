/** Sign-in and the token vault keep their records through the Store's key/value port (every record with a TTL). */
export type { KvPort as KeyValue } from '../store/store.js';

/** Injectable randomness, so tests can pin states and verifiers. */
export type RandomBytes = (size: number) => Buffer;
