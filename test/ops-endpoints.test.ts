import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../src/config.js';
import { RecordingHandler, useBots } from './helpers/intake-harness.js';

const h = useBots('ops-');
const TOKEN = 'metrics-token-0123456789abcdef';

describe('ops endpoints: /metrics behind METRICS_TOKEN', () => {
  it('answers 401 without the bearer token or with a wrong one, and the metrics with it', async () => {
    const bot = await h.start(new RecordingHandler(), { env: { METRICS_TOKEN: TOKEN } });
    const none = await fetch(`${bot.url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const body = await none.text();
    expect(body).toContain('Authorization: Bearer');
    expect(body).not.toContain('METRICS_TOKEN');
    expect((await fetch(`${bot.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    expect((await fetch(`${bot.url}/metrics`, { headers: { authorization: TOKEN } })).status).toBe(401);

    const ok = await fetch(`${bot.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('feishu_inbox_pending');
    // The operator's log says which setting the scraper must match.
    expect(bot.logs.join('')).toContain('METRICS_TOKEN');
  });

  it('leaves /healthz open for load balancers', async () => {
    const bot = await h.start(new RecordingHandler(), { env: { METRICS_TOKEN: TOKEN } });
    expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
  });
});

describe('ops endpoints: /metrics on METRICS_PORT', () => {
  it('serves /metrics on its own port only, still behind the token when one is set', async () => {
    const bot = await h.start(new RecordingHandler(), { env: { METRICS_PORT: '0', METRICS_TOKEN: TOKEN } });
    const metricsUrl = bot.server.metricsUrl()!;
    expect(new URL(metricsUrl).port).not.toBe(new URL(bot.url).port);
    expect((await fetch(`${bot.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    expect((await fetch(metricsUrl)).status).toBe(401);
    const ok = await fetch(metricsUrl, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect([ok.status, (await ok.text()).includes('feishu_events_accepted_total')]).toEqual([200, true]);
    // The webhook port keeps its other routes.
    expect((await fetch(`${bot.url}/healthz`)).status).toBe(200);
  });

  it('closes the metrics port on shutdown', async () => {
    const bot = await h.start(new RecordingHandler(), { env: { METRICS_PORT: '0' } });
    const metricsUrl = bot.server.metricsUrl()!;
    expect((await fetch(metricsUrl)).status).toBe(200);
    await bot.stop();
    h.bots.length = 0;
    await expect(fetch(metricsUrl)).rejects.toThrow();
  });
});

describe('ops endpoints: settings', () => {
  const problems = (env: Record<string, string>) => {
    try {
      parseConfig({}, env);
      return [];
    } catch (e) {
      return (e as ConfigError).problems;
    }
  };

  it('accepts IP addresses and host names for HOST and refuses anything else', () => {
    for (const host of ['0.0.0.0', '127.0.0.1', '::', '::1', 'localhost', 'bot.internal'])
      expect(problems({ HOST: host })).toEqual([]);
    expect(problems({ HOST: 'http://0.0.0.0' }).join()).toMatch(/env HOST: must be an IP address/);
  });

  it('refuses a short METRICS_TOKEN and a METRICS_PORT equal to PORT', () => {
    expect(problems({ METRICS_TOKEN: 'short' }).join()).toMatch(/env METRICS_TOKEN: must be at least 16 characters/);
    expect(problems({ PORT: '3000', METRICS_PORT: '3000' }).join()).toMatch(/env METRICS_PORT: must differ from PORT/);
  });
});

describe('ops endpoints: rejections', () => {
  it('tells a caller what is wrong without naming secret settings, and logs which one to set', async () => {
    const bot = await h.start(new RecordingHandler(), { env: { FEISHU_ENCRYPT_KEY: undefined } });
    const res = await bot.post('/webhook/event', h.push(1));
    const body = (await res.json()) as { error: string; message: string };
    expect([res.status, body.error]).toEqual([400, 'no_encrypt_key']);
    expect(body.message).toMatch(/encrypted/);
    expect(JSON.stringify(body)).not.toMatch(/FEISHU_|SECRET|_KEY|_TOKEN/);
    expect(bot.logs.join('')).toContain('FEISHU_ENCRYPT_KEY');
  });
});
