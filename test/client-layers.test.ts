/**
 * Each layer of the Open API call pipeline (src/feishu/client/pipeline.ts), alone, over a scripted `next`. The whole
 * pipeline over the SDK and the emulator is covered by the gateway-*, reliability-* and e2e-provisioning tests.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FeishuError, MALFORMED_RESPONSE, NETWORK_ERROR, NOT_SIGNED_IN } from '../src/feishu/errors.js';
import { MemoryLimiterStore, RateLimiter, type KeyedWindows } from '../src/feishu/client/limits.js';
import {
  limit,
  reconcile,
  retry,
  serialize,
  token,
  transport,
  type Call,
  type Outcome,
  type Reconciler,
  type RequestOptions,
  type Send,
} from '../src/feishu/client/pipeline.js';
import { TokenCache, UserTokens } from '../src/feishu/client/tokens.js';
import { asUser, type Principal } from '../src/feishu/principal.js';
import { larkSdk } from '../src/feishu/sdk.js';
import { InProcessLock } from '../src/store/lock.js';
import type { SdkBody } from '../src/feishu/client/wire.js';

interface Body extends SdkBody {
  data?: { id: string };
}

const ENDPOINT = 'mailgroup.create';
const callOf = (extra: Partial<Call<Body>> = {}): Call<Body> => ({
  endpoint: ENDPOINT,
  principal: { kind: 'tenant' },
  idempotent: false,
  attempt: 1,
  ...extra,
});
const failure = (code: number, httpStatus?: number, retryAfterSeconds?: number) =>
  new FeishuError({ code, msg: `failure ${code}`, endpoint: ENDPOINT, httpStatus, retryAfterSeconds });
const ok = (id: string): Outcome<Body> => ({ ok: true, body: { code: 0, data: { id } } });
const failed = (error: FeishuError, more: Partial<Extract<Outcome<Body>, { ok: false }>> = {}): Outcome<Body> => ({
  ok: false,
  error,
  ...more,
});

/** A `next` that answers with the scripted outcomes in turn and records the request options of each send. */
function scripted(...outcomes: Outcome<Body>[]) {
  const sent: (RequestOptions | undefined)[] = [];
  const send: Send<Body> = async (o) => {
    sent.push(o);
    const next = outcomes.shift();
    if (!next) throw new Error('no more scripted outcomes');
    return next;
  };
  return { send, sent };
}

/** A logger whose lines the test reads back. */
function capture() {
  const lines: { msg: string; code?: number; retryInMs?: number }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(
        ...chunk
          .toString()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l)),
      );
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
}

const RATE_LIMITED = 99991400;
const ADDRESS_IN_USE = 1234006;

describe('serialize', () => {
  it('runs calls that name the same serial key one after another, and the others at once', async () => {
    const run = serialize(new InProcessLock());
    const order: string[] = [];
    let release = () => {};
    const first = run(
      'mailbox:a',
      () =>
        new Promise<void>((r) => {
          order.push('a1 start');
          release = () => {
            order.push('a1 end');
            r();
          };
        }),
    );
    const second = run('mailbox:a', async () => {
      order.push('a2');
    });
    const other = run('mailbox:b', async () => {
      order.push('b');
    });
    const unkeyed = run(undefined, async () => {
      order.push('none');
    });
    await Promise.all([other, unkeyed]);
    expect(order).toEqual(['none', 'a1 start', 'b']);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['none', 'a1 start', 'b', 'a1 end', 'a2']);
  });
});

describe('retry', () => {
  function policy(extra: Partial<Parameters<typeof retry>[0]> = {}) {
    const slept: number[] = [];
    let now = 0;
    const { log, lines } = capture();
    const run = retry({
      maxAttempts: 3,
      patienceMs: 10_000,
      backoff: { baseMs: 100, maxMs: 1_000, random: () => 1 },
      now: () => now,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
      log,
      ...extra,
    });
    return { run, slept, lines };
  }

  it('backs off between tries of a retryable failure and returns the answer that follows', async () => {
    const { run, slept, lines } = policy();
    const call = callOf();
    const { send } = scripted(failed(failure(NETWORK_ERROR)), failed(failure(RATE_LIMITED, 429)), ok('g1'));
    await expect(run(call, send)).resolves.toEqual({ code: 0, data: { id: 'g1' } });
    expect(slept).toEqual([100, 200]);
    expect(call.attempt).toBe(3);
    expect(lines.map((l) => l.msg)).toEqual(['open api call failed; retrying', 'open api call failed; retrying']);
  });

  it('gives up after maxAttempts tries of a call without an idempotency key, logging and throwing the last failure', async () => {
    const { run, slept, lines } = policy();
    const last = failure(RATE_LIMITED, 429);
    const { send } = scripted(failed(failure(NETWORK_ERROR)), failed(failure(NETWORK_ERROR)), failed(last));
    await expect(run(callOf(), send)).rejects.toBe(last);
    expect(slept).toEqual([100, 200]);
    expect(lines.at(-1)).toMatchObject({ msg: 'open api call failed', code: RATE_LIMITED });
  });

  it('keeps an idempotent call going past maxAttempts until its patience is spent', async () => {
    const { run, slept } = policy({ patienceMs: 2_500 });
    const lost = (n: number) => Array.from({ length: n }, () => failed(failure(NETWORK_ERROR)));
    await expect(run(callOf({ idempotent: true }), scripted(...lost(4), ok('late')).send)).resolves.toMatchObject({
      data: { id: 'late' },
    });
    expect(slept).toEqual([100, 200, 400, 800]);
    await expect(run(callOf({ idempotent: true }), scripted(...lost(9)).send)).rejects.toMatchObject({
      code: NETWORK_ERROR,
    });
    // 100 + 200 + 400 + 800 + 1000 = 2500: the sixth failure comes when the patience is spent.
    expect(slept.slice(4)).toEqual([100, 200, 400, 800, 1000]);
  });

  it('throws a failure that is not retryable at once, without sleeping', async () => {
    const { run, slept } = policy();
    const conflict = failure(ADDRESS_IN_USE, 409);
    await expect(run(callOf(), scripted(failed(conflict)).send)).rejects.toBe(conflict);
    expect(slept).toEqual([]);
  });

  it("waits no less than Feishu's reset hint, nor than the failure's settle time", async () => {
    const { run, slept } = policy();
    const { send } = scripted(
      failed(failure(RATE_LIMITED, 429, 3)),
      failed(failure(NETWORK_ERROR), { settleMs: 700 }),
      ok('g'),
    );
    await run(callOf(), send);
    expect(slept).toEqual([3_000, 700]);
  });

  it('asks a failure that may have taken effect after the wait, before trying again and before giving up', async () => {
    const { run, slept } = policy({ maxAttempts: 2 });
    const asked: number[] = [];
    const recoverAs = (found: Body | undefined) => async () => {
      asked.push(slept.length);
      return found;
    };
    const { send } = scripted(
      failed(failure(NETWORK_ERROR), { settleMs: 50, recover: recoverAs(undefined) }),
      failed(failure(NETWORK_ERROR), { settleMs: 500, recover: recoverAs({ code: 0, data: { id: 'found' } }) }),
    );
    await expect(run(callOf(), send)).resolves.toEqual({ code: 0, data: { id: 'found' } });
    // Retry: the backoff (above the settle time), then the question; last try: the settle time, then the question.
    expect(slept).toEqual([100, 500]);
    expect(asked).toEqual([1, 2]);
  });

  it('lets a thrown error through untouched: no try could be made', async () => {
    const { run, slept, lines } = policy();
    const bug = new TypeError('bad input');
    await expect(
      run(callOf(), async () => {
        throw bug;
      }),
    ).rejects.toBe(bug);
    expect(slept).toEqual([]);
    expect(lines).toEqual([]);
  });
});

describe('reconcile', () => {
  const { log } = capture();
  const layer = reconcile({ settleMs: 900, log });
  const finder = (...answers: (Body | undefined)[]) => {
    let asked = 0;
    const reconciler: Reconciler<Body> = {
      find: async () => {
        asked++;
        return answers.shift();
      },
      conflictCode: ADDRESS_IN_USE,
    };
    return { reconciler, asked: () => asked };
  };

  it('leaves a call without a reconciler as it is', () => {
    const { send } = scripted();
    expect(layer(callOf(), send)).toBe(send);
  });

  it('gives a failure without an answer a settle time and a lookup, a 5xx a lookup only, and a 4xx neither', async () => {
    const { reconciler } = finder({ code: 0, data: { id: 'found' } });
    const { send } = scripted(
      failed(failure(NETWORK_ERROR)),
      failed(failure(1236019, 500)),
      failed(failure(RATE_LIMITED, 429)),
    );
    const attempt = layer(callOf({ reconciler }), send);
    const lost = await attempt();
    expect(lost).toMatchObject({ ok: false, settleMs: 900, recover: expect.any(Function) });
    await expect((lost as { recover: () => Promise<unknown> }).recover()).resolves.toEqual({
      code: 0,
      data: { id: 'found' },
    });
    expect(await attempt()).toMatchObject({ ok: false, settleMs: 0, recover: expect.any(Function) });
    expect(await attempt()).not.toHaveProperty('recover');
  });

  it('after an unanswered try, looks a conflict up at once and takes the object found as the answer', async () => {
    const { reconciler, asked } = finder({ code: 0, data: { id: 'ours' } });
    const attempt = layer(
      callOf({ reconciler }),
      scripted(failed(failure(NETWORK_ERROR)), failed(failure(ADDRESS_IN_USE, 409))).send,
    );
    await attempt();
    expect(await attempt()).toEqual({ ok: true, body: { code: 0, data: { id: 'ours' } } });
    expect(asked()).toBe(1);
  });

  it('takes a conflict at face value when no try went unanswered, unless an earlier run may have made the object', async () => {
    const conflictOnly = () => scripted(failed(failure(ADDRESS_IN_USE, 409))).send;
    const fresh = finder({ code: 0, data: { id: 'someone else' } });
    expect(await layer(callOf({ reconciler: fresh.reconciler }), conflictOnly())()).toMatchObject({
      ok: false,
      error: { code: ADDRESS_IN_USE },
    });
    expect(fresh.asked()).toBe(0);
    const resumed = finder({ code: 0, data: { id: 'ours' } });
    const call = callOf({ reconciler: { ...resumed.reconciler, mayExist: true } });
    expect(await layer(call, conflictOnly())()).toEqual({ ok: true, body: { code: 0, data: { id: 'ours' } } });
  });
});

describe('token', () => {
  const provider = (...tokens: (string | undefined)[]) => {
    const refreshes: string[] = [];
    return {
      refreshes,
      users: new UserTokens({
        accessToken: async () => tokens.shift(),
        refresh: async (_id, rejected) => {
          refreshes.push(rejected);
          return tokens.shift();
        },
      }),
    };
  };
  const withUser = (t: string) => larkSdk().withUserAccessToken(t);
  const layerWith = (users: UserTokens, tenant = new TokenCache(), recorded: number[] = []) =>
    token({ tenant, users, record: (_e, code) => recorded.push(code), log: capture().log });
  const lina: Principal = asUser('ou_lina');

  it("sends a user's call with that user's token, fetched once for all its tries", async () => {
    const { users } = provider('u1', 'unused');
    const { send, sent } = scripted(failed(failure(NETWORK_ERROR)), ok('x'));
    const attempt = layerWith(users)(callOf({ principal: lina }), send);
    await attempt();
    await attempt();
    expect(sent).toEqual([withUser('u1'), withUser('u1')]);
  });

  it('refreshes a rejected user token once per call and sends again with the new one', async () => {
    const { users, refreshes } = provider('old', 'new', 'newer');
    const rejected = () => failed(failure(99991668, 401));
    const { send, sent } = scripted(rejected(), ok('x'), rejected());
    const attempt = layerWith(users)(callOf({ principal: lina }), send);
    expect(await attempt()).toMatchObject({ ok: true });
    expect(await attempt()).toMatchObject({ ok: false, error: { code: 99991668 } });
    expect(refreshes).toEqual(['old']);
    expect(sent).toEqual([withUser('old'), withUser('new'), withUser('new')]);
  });

  it('drops the cached tenant token once when Feishu rejects it, and sends again', async () => {
    const tenant = new TokenCache();
    await tenant.set('tenant_access_token', 't-old', Date.now() + 3_600_000);
    const { send, sent } = scripted(failed(failure(99991663, 400)), ok('x'));
    expect(await layerWith(provider().users, tenant)(callOf(), send)()).toMatchObject({ ok: true });
    expect(await tenant.get('tenant_access_token')).toBeUndefined();
    expect(sent).toEqual([undefined, undefined]);
  });

  it("fails a user's call as not signed in, counted, before anything is sent", async () => {
    const recorded: number[] = [];
    const { send, sent } = scripted(ok('x'));
    await expect(
      layerWith(provider(undefined).users, new TokenCache(), recorded)(callOf({ principal: lina }), send)(),
    ).rejects.toMatchObject({ code: NOT_SIGNED_IN, kind: 'needs_sign_in' });
    expect(recorded).toEqual([NOT_SIGNED_IN]);
    expect(sent).toEqual([]);
  });
});

describe('limit', () => {
  /** The real limiter over a store that records each slot taken and settled. */
  function limiter() {
    const events: string[] = [];
    const store = new MemoryLimiterStore();
    const recording = {
      reserve: (keys: KeyedWindows[], now: number, id: string, boundMs: number) => {
        events.push(`reserve ${keys.map((k) => k.key).join(',')}`);
        return store.reserve(keys, now, id, boundMs);
      },
      settle: (keys: KeyedWindows[], id: string, at: number) => {
        events.push('settle');
        return store.settle(keys, id, at);
      },
    };
    return { events, limiter: new RateLimiter({ store: recording, now: () => 0, sleep: async () => {} }) };
  }

  it('takes a slot on the endpoint and the target for each send, and settles it once the send has ended', async () => {
    const { events, limiter: l } = limiter();
    const send: Send<Body> = async () => {
      events.push('send');
      return ok('m');
    };
    await limit(l)(callOf({ endpoint: 'message.create', key: 'oc_1' }), send)();
    expect(events).toEqual(['reserve message.create,chat-messages:oc_1', 'send', 'settle']);
  });

  it('settles the slot of a send that threw, too', async () => {
    const { events, limiter: l } = limiter();
    await expect(
      limit(l)(callOf(), async () => {
        throw new Error('bug');
      })(),
    ).rejects.toThrow('bug');
    expect(events).toEqual(['reserve mailgroup.create', 'settle']);
  });
});

describe('transport', () => {
  const observe = () => {
    const recorded: number[] = [];
    return {
      recorded,
      o: { record: (_e: string, code: number) => recorded.push(code), log: capture().log, now: () => 0 },
    };
  };

  it('turns an answer with code 0 into the body, and any other code into a FeishuError, each counted by code', async () => {
    const { recorded, o } = observe();
    const options = larkSdk().withUserAccessToken('u');
    const seen: unknown[] = [];
    const answers: unknown[] = [
      { code: 0, data: { id: 'g' } },
      { code: 1234006, msg: 'in use', error: { log_id: 'L1' } },
      { data: {} },
    ];
    const send = transport<Body>(
      callOf(),
      async (opt) => {
        seen.push(opt);
        return answers.shift() as Body;
      },
      o,
    );
    expect(await send(options)).toEqual({ ok: true, body: { code: 0, data: { id: 'g' } } });
    expect(await send()).toMatchObject({
      ok: false,
      error: { code: 1234006, msg: 'in use', logId: 'L1', httpStatus: 200 },
    });
    expect(await send()).toMatchObject({ ok: false, error: { code: MALFORMED_RESPONSE, httpStatus: 200 } });
    expect(recorded).toEqual([0, 1234006, MALFORMED_RESPONSE]);
    expect(seen[0]).toBe(options);
  });

  it('lets an error that is no Feishu failure through as a throw (a bug, not a failed call)', async () => {
    const { recorded, o } = observe();
    await expect(
      transport<Body>(
        callOf(),
        async () => {
          throw new RangeError('bug');
        },
        o,
      )(),
    ).rejects.toThrow(RangeError);
    expect(recorded).toEqual([]);
  });
});
