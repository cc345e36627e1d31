/** The TTL cache behind directory look-ups, and the one-`msg` log line of a failed Open API call. */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { TtlCache } from '../src/cache.js';
import { cachedDirectory } from '../src/feishu/directory-cache.js';
import { createFeishu } from '../src/feishu/index.js';
import type { DirectoryPort } from '../src/feishu/ports.js';
import { control, useEmulator } from './helpers/emulator.js';

describe('TtlCache', () => {
  it('answers from the cache within the TTL and loads again after it', async () => {
    let now = 0;
    let loads = 0;
    const cache = new TtlCache<number>(1000, 10, () => now);
    const load = async () => ++loads;
    expect(await cache.get('a', load)).toBe(1);
    now = 999;
    expect(await cache.get('a', load)).toBe(1);
    now = 1000;
    expect(await cache.get('a', load)).toBe(2);
  });

  it('shares one load between concurrent gets and keeps no failure', async () => {
    let loads = 0;
    const cache = new TtlCache<number>(1000);
    const slow = () => new Promise<number>((r) => setTimeout(() => r(++loads), 10));
    expect(await Promise.all([cache.get('a', slow), cache.get('a', slow)])).toEqual([1, 1]);
    await expect(cache.get('b', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('b', async () => 7)).toBe(7);
  });

  it('drops the oldest entry beyond its size', async () => {
    const cache = new TtlCache<string>(1000, 2);
    for (const k of ['a', 'b', 'c']) await cache.get(k, async () => k);
    expect(cache.size).toBe(2);
    expect(await cache.get('a', async () => 'reloaded')).toBe('reloaded');
  });

  it("caches the directory's users per open_id for the TTL", async () => {
    let now = 0;
    const seen: string[] = [];
    const port: DirectoryPort = {
      getUser: async (openId) => (seen.push(openId), { openId, name: `n${seen.length}`, isResigned: false }),
      openIdsByEmail: async () => new Map(),
    };
    const dir = cachedDirectory(port, 60_000, () => now);
    expect((await dir.getUser('ou_a')).name).toBe('n1');
    expect((await dir.getUser('ou_a')).name).toBe('n1');
    now = 60_000;
    expect((await dir.getUser('ou_a')).name).toBe('n2');
  });
});

describe('log lines of a failed Open API call', () => {
  const h = useEmulator();

  it("carry one msg (ours) and Feishu's message as feishuMsg", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    const logger = pino({ level: 'info' }, sink);
    const gw = createFeishu({
      appId: h.emu.state.app.appId,
      appSecret: h.emu.state.app.appSecret,
      domain: h.emu.url,
      logger,
      maxAttempts: 1,
    });
    await control(h.emu, 'faults', {
      pathPrefix: '/open-apis/im/v1/chats',
      code: 232023,
      page: 'im-chat-create',
      count: 1,
    });
    await expect(gw.chats.create({ name: '审核群' })).rejects.toThrow();
    const failed = lines.find((l) => l.includes('open api call failed'));
    expect(failed).toBeDefined();
    expect(failed!.match(/"msg":/g)).toHaveLength(1);
    expect(JSON.parse(failed!)).toMatchObject({
      msg: 'open api call failed',
      code: 232023,
      feishuMsg: expect.any(String),
    });
  });
});
