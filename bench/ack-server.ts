/**
 * The server side of bench/ack.ts, one kind per process: `ack-server <ours|sdk|express> <dataDir>`. Each kind imports
 * only what it serves with, so the peak RSS each reports compares the servers, not the load generator. Answers
 * "count" (valid events seen, backlog, peak RSS) and "stop" over IPC.
 */
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import express from 'express';

export const KINDS = ['ours', 'sdk', 'express'] as const;
export type Kind = (typeof KINDS)[number];
export const ENCRYPT_KEY = 'bench-encrypt-key-7Rq';
export const VERIFICATION_TOKEN = 'bench-vtoken-K2p';
export const PATH = '/webhook/event';

export interface Counts {
  count: number;
  pending: number;
  peakRssMb: number;
}

interface Served {
  url: string;
  counted: () => Promise<number>;
  pending: () => Promise<number>;
  close: () => Promise<void>;
}

async function serve(kind: Kind, dataDir: string): Promise<Served> {
  if (kind === 'ours') {
    // The whole bot as deployed (store, gateway, app with every handler), so its peak RSS carries all it loads;
    // only the handler is a no-op, as the SDK path's is. Its Open API domain is never called.
    const [{ parseConfig }, { createBot }] = await Promise.all([import('../src/config.js'), import('../src/bot.js')]);
    const env = {
      FEISHU_APP_ID: 'cli_a1b2c3d4e5f6a7b8',
      FEISHU_APP_SECRET: 'bench-app-secret',
      FEISHU_DOMAIN: 'http://127.0.0.1:9',
      FEISHU_ENCRYPT_KEY: ENCRYPT_KEY,
      FEISHU_VERIFICATION_TOKEN: VERIFICATION_TOKEN,
      TOKEN_ENCRYPTION_KEY: '0123456789abcdef'.repeat(4),
      PUBLIC_URL: 'https://bot.example.com',
    };
    const config = parseConfig({}, env);
    const bot = await createBot({
      config,
      appId: env.FEISHU_APP_ID,
      appSecret: env.FEISHU_APP_SECRET,
      domain: env.FEISHU_DOMAIN,
      dataDir,
      handler: { handleEvent: async () => {}, handleCard: async () => ({ response: {} }) },
    });
    const url = await bot.listen(0, '127.0.0.1');
    const accepted = async () => (await bot.metrics.eventsAccepted.get()).values.reduce((n, v) => n + v.value, 0);
    return { url, counted: accepted, pending: () => bot.server.inbox.depth(), close: () => bot.stop() };
  }
  const app = express();
  app.disable('x-powered-by');
  let count = 0;
  if (kind === 'sdk') {
    const lark = await import('@larksuiteoapi/node-sdk');
    const dispatcher = new lark.EventDispatcher({
      encryptKey: ENCRYPT_KEY,
      verificationToken: VERIFICATION_TOKEN,
      loggerLevel: lark.LoggerLevel.error,
    }).register({
      'im.message.receive_v1': async () => {
        count += 1;
      },
    });
    app.post(PATH, express.json(), lark.adaptExpress(dispatcher, { autoChallenge: true }));
  } else {
    app.post(PATH, express.json(), (req, res) => {
      if (typeof (req.body as { encrypt?: unknown }).encrypt === 'string') count += 1;
      res.json({ msg: 'success' });
    });
  }
  const server = await new Promise<HttpServer>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counted: async () => count,
    pending: async () => 0,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href && process.send) {
  const [kind, dataDir] = [process.argv[2] as Kind, process.argv[3]];
  if (!KINDS.includes(kind) || !dataDir) throw new Error(`usage: ack-server <${KINDS.join('|')}> <dataDir>`);
  const served = await serve(kind, dataDir);
  process.on('message', (m: string) => {
    if (m === 'count') {
      void Promise.all([served.counted(), served.pending()]).then(([count, pending]) =>
        process.send!({ count, pending, peakRssMb: process.resourceUsage().maxRSS / 1024 } satisfies Counts),
      );
    }
    if (m === 'stop') void served.close().then(() => process.exit(0));
  });
  process.send({ url: served.url });
}
