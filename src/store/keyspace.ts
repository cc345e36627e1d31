/**
 * Every key/value record belongs to one module, under its own prefix, with a TTL and a zod schema:
 *
 *   const chats = keyspace('group', chatRecord, 30 * DAY);   // in handlers/group.ts, the only writer of group:…
 *   await chats.set(ctx.store, chatId, { name, members });
 *   const chat = await chats.get(ctx.store, chatId);          // parsed, or undefined when absent or expired
 *
 * Sorted indexes of ids are owned the same way (`sortedIndex`), with their TTL and how many members they keep.
 * Owners register their prefix once, so two modules cannot share one by accident.
 */
import type { z } from 'zod';
import type { IndexPort, KvPort } from './store.js';

export interface Keyspace<S extends z.ZodType> {
  readonly owner: string;
  readonly ttlMs: number;
  key(id: string): string;
  get(kv: KvPort, id: string): Promise<z.output<S> | undefined>;
  /** `ttlMs` overrides the keyspace's TTL where configuration sets it (the inbox's dedupe window). */
  set(kv: KvPort, id: string, value: z.input<S>, ttlMs?: number): Promise<void>;
  /** Atomic create: false when a live record already exists. */
  setIfAbsent(kv: KvPort, id: string, value: z.input<S>, ttlMs?: number): Promise<boolean>;
  delete(kv: KvPort, id: string): Promise<void>;
}

const owners = new Set<string>();

/** Claims `owner` for one module; returns how its ids become keys. */
function register(owner: string, ttlMs: number): (id: string) => string {
  if (!/^[a-z][a-z0-9-]*$/.test(owner))
    throw new Error(`keyspace owner "${owner}" must be lower-case letters, digits and -`);
  if (owners.has(owner)) throw new Error(`keyspace "${owner}" is defined twice: each prefix has one owner module`);
  if (!(ttlMs > 0)) throw new Error(`keyspace "${owner}" needs a positive TTL`);
  owners.add(owner);
  return (id) => `${owner}:${id}`;
}

export function keyspace<S extends z.ZodType>(owner: string, schema: S, ttlMs: number): Keyspace<S> {
  const key = register(owner, ttlMs);
  // Validated on the way in, stored as given: `get` parses it again, so transforms run once per read.
  const encode = (value: z.input<S>) => {
    schema.parse(value);
    return JSON.stringify(value);
  };
  return {
    owner,
    ttlMs,
    key,
    async get(kv, id) {
      const raw = await kv.get(key(id));
      return raw === undefined ? undefined : schema.parse(JSON.parse(raw));
    },
    set: (kv, id, value, ttl = ttlMs) => kv.set(key(id), encode(value), ttl),
    setIfAbsent: (kv, id, value, ttl = ttlMs) => kv.setIfAbsent(key(id), encode(value), ttl),
    delete: (kv, id) => kv.delete(key(id)),
  };
}

/** Indexes `owner:id`, each living `ttlMs` after its last add and keeping its `keep` highest-scored members. */
export interface SortedIndex {
  add(port: IndexPort, id: string, member: string, score: number): Promise<void>;
  /** Highest score first. */
  list(port: IndexPort, id: string, limit: number): Promise<string[]>;
}

export function sortedIndex(owner: string, o: { ttlMs: number; keep: number }): SortedIndex {
  const name = register(owner, o.ttlMs);
  return {
    add: (port, id, member, score) => port.indexAdd(name(id), member, score, o),
    list: (port, id, limit) => port.indexList(name(id), limit),
  };
}
