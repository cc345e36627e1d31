import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MALFORMED_RESPONSE } from '../src/feishu/errors.js';
import { createFeishu } from '../src/feishu/index.js';
import { feishuRejection as rejection } from './helpers/emulator.js';

/** A hand-written Feishu stand-in for answer shapes the emulator never produces. */
const TOKEN = 't-stubtoken0123456789';
const SECRET = 'stub-app-secret-value';
let server: Server;
let url: string;
let tokenRequests = 0;
let badCredentials = false;

beforeAll(async () => {
  const app = express();
  app.use(express.json());
  app.post('/open-apis/auth/v3/tenant_access_token/internal', async (req, res) => {
    tokenRequests++;
    await new Promise((r) => setTimeout(r, 20));
    if (badCredentials) return res.json({ code: 10014, msg: 'app secret invalid' });
    res.json({ code: 0, msg: 'ok', tenant_access_token: TOKEN, expire: 7200 });
  });
  // HTTP 200 with a business code: the SDK resolves these.
  app.post('/open-apis/mail/v1/mailgroups', (_req, res) => {
    res.json({ code: 1234030, msg: 'mailing group count is over max limit', error: { log_id: 'LOG-200' } });
  });
  // A proxy's HTML error page: no Feishu body at all.
  app.get('/open-apis/bot/v3/info', (_req, res) => {
    res.status(502).type('html').send('<html><body>Bad Gateway</body></html>');
  });
  // Success without the field the caller needs.
  app.post('/open-apis/im/v1/chats', (_req, res) => res.json({ code: 0, msg: 'success', data: {} }));
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);

function gateway(lines: string[] = []) {
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
  return createFeishu({
    appId: 'cli_a1b2c3d4e5f60718',
    appSecret: SECRET,
    domain: url,
    logger,
    sleep: async () => {},
    maxAttempts: 2,
  });
}

describe('gateway: answer shapes', () => {
  it('turns HTTP 200 with a non-zero code into a FeishuError with that code', async () => {
    const e = await rejection(gateway().mailgroups.create({ email: 'a@feishu-ops.example' }));
    expect(e).toMatchObject({
      code: 1234030,
      httpStatus: 200,
      logId: 'LOG-200',
      endpoint: 'mailgroup.create',
      retryable: false,
    });
  });

  it('turns a non-Feishu 5xx page into a retryable error and retries it', async () => {
    const e = await rejection(gateway().im.botInfo());
    expect(e).toMatchObject({ code: MALFORMED_RESPONSE, httpStatus: 502, retryable: true });
  });

  it('reports a success answer that lacks the expected field', async () => {
    const e = await rejection(gateway().chats.create({ name: 'x' }));
    expect(e).toMatchObject({ code: MALFORMED_RESPONSE, endpoint: 'chat.create' });
    expect(e.msg).toContain('data.chat_id');
  });

  it('fetches the tenant token once for concurrent calls on a cold cache', async () => {
    tokenRequests = 0;
    const gw = gateway();
    await Promise.allSettled(Array.from({ length: 5 }, () => gw.mailgroups.create({ email: 'a@feishu-ops.example' })));
    expect(tokenRequests).toBe(1);
  });

  it('reports wrong app credentials with the platform code', async () => {
    badCredentials = true;
    try {
      const e = await rejection(gateway().mailgroups.create({ email: 'a@feishu-ops.example' }));
      expect(e.code).toBe(10014);
      expect(e.explain().nextStep.en_us).toContain('FEISHU_APP_SECRET');
    } finally {
      badCredentials = false;
    }
  });

  it('never writes the token or the app secret to the log', async () => {
    const lines: string[] = [];
    const gw = gateway(lines);
    await gw.mailgroups.create({ email: 'a@feishu-ops.example' }).catch(() => undefined);
    await gw.im.botInfo().catch(() => undefined);
    expect(lines.length).toBeGreaterThan(0);
    const all = lines.join('\n');
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(SECRET);
  });

  it('refuses bad input before calling Feishu, saying what is wrong', async () => {
    await expect(gateway().mailgroups.create({ email: 'not-an-address' })).rejects.toThrow(
      /mailgroups.create: email must be an email address/,
    );
    await expect(gateway().chats.addMembers('oc_1', ['bob'])).rejects.toThrow(/must be an open_id/);
  });
});
