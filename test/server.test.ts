import { describe, expect, it } from 'vitest';
import { eventually, RecordingHandler, useBots } from './helpers/intake-harness.js';

const h = useBots('server-');
const { start, push } = h;

describe('server: operations endpoints', () => {
  it('reports healthy while the store answers and 503 once it does not', async () => {
    const bot = await start(new RecordingHandler());
    const ok = await fetch(`${bot.url}/healthz`);
    expect([ok.status, await ok.json()]).toEqual([200, { ok: true, store: 'sqlite', transport: { kind: 'webhook' } }]);
    await bot.store.close();
    const down = await fetch(`${bot.url}/healthz`);
    expect([down.status, await down.json()]).toEqual([
      503,
      { ok: false, problem: 'store unreachable', store: 'sqlite', transport: { kind: 'webhook' } },
    ]);
  });

  it('exposes accepted, duplicate and rejected counts and the queue depth in Prometheus format', async () => {
    const handler = new RecordingHandler();
    handler.onEvent = () => new Promise(() => {}); // keep the event pending
    const bot = await start(handler, { drainMs: 20 });
    await bot.post('/webhook/event', push(1));
    await bot.post('/webhook/event', push(1));
    await bot.post('/webhook/event', { body: push(2).body, headers: {} });
    await eventually(() => expect(handler.events).toHaveLength(1));
    const res = await fetch(`${bot.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain('feishu_events_accepted_total{type="im.message.receive_v1"} 1');
    expect(text).toContain('feishu_events_duplicate_total{type="im.message.receive_v1"} 1');
    expect(text).toContain('feishu_events_rejected_total{reason="missing_signature"} 1');
    expect(text).toContain('feishu_inbox_pending 1');
    expect(text).toContain('feishu_inbox_running 1');
    expect(text).toContain('feishu_openapi_calls_total');
  });

  it('records handler latency by event type and outcome', async () => {
    const handler = new RecordingHandler();
    const bot = await start(handler);
    await bot.post('/webhook/event', push(1));
    await eventually(async () => expect(await bot.store.pendingCount()).toBe(0));
    const text = await (await fetch(`${bot.url}/metrics`)).text();
    expect(text).toMatch(
      /feishu_handler_duration_seconds_count\{kind="event",name="im.message.receive_v1",outcome="ok"\} 1/,
    );
  });
});

describe('server: graceful shutdown', () => {
  it('stops accepting, lets a running handler finish, and leaves nothing pending', async () => {
    const handler = new RecordingHandler();
    let finish!: () => void;
    let finished = false;
    handler.onEvent = () =>
      new Promise<void>((r) => {
        finish = () => {
          finished = true;
          r();
        };
      });
    const bot = await start(handler, { drainMs: 5_000 });
    await bot.post('/webhook/event', push(1));
    await eventually(() => expect(handler.events).toHaveLength(1));

    const stopping = bot.server.shutdown();
    const refused = await fetch(`${bot.url}/webhook/event`, {
      method: 'POST',
      headers: push(2).headers,
      body: push(2).body,
    }).catch((e: Error) => e);
    // Either refused at the door (503) or the listener is already closed.
    if (refused instanceof Response) expect(refused.status).toBe(503);
    else expect(refused).toBeInstanceOf(Error);
    finish();
    await stopping;
    expect(finished).toBe(true);
    expect(await bot.store.pendingCount()).toBe(0);
    expect(handler.events.map((d) => d.id)).toEqual(['ev_1']);
  });

  it('leaves work still running at the deadline in the store, and it runs after the next start', async () => {
    const slow = new RecordingHandler();
    slow.onEvent = () => new Promise(() => {});
    const bot = await start(slow, { drainMs: 30, inbox: { leaseMs: 30_000 } });
    await bot.post('/webhook/event', push(1));
    await eventually(() => expect(slow.events).toHaveLength(1));
    await bot.stop();
    h.bots.length = 0;

    h.clock.advance(30_000);
    const handler = new RecordingHandler();
    const next = await start(handler);
    await eventually(async () => expect(await next.store.pendingCount()).toBe(0));
    expect(handler.events.map((d) => d.id)).toEqual(['ev_1']);
  });
});
