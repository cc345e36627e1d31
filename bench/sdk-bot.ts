/**
 * The baseline for start-up, memory and reply latency: the bot the official SDK (@larksuiteoapi/node-sdk) recommends,
 * a Client plus adaptExpress + EventDispatcher that replies to each message inline (before the push is answered), with
 * GET /healthz so readiness is measured the same way as ours. Credentials and port come from the same environment
 * variables ours reads. The reply is the card in SDK_BOT_CARD (bench/latency.ts passes the card ours answered with, so
 * both replies carry the same bytes to Feishu), else a small one.
 *
 *   node dist/bench/sdk-bot.js        (bench/startup.ts and bench/latency.ts start it)
 */
import * as lark from '@larksuiteoapi/node-sdk';
import express from 'express';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`sdk-bot: set ${name}`);
  return v;
};

const client = new lark.Client({
  appId: env('FEISHU_APP_ID'),
  appSecret: env('FEISHU_APP_SECRET'),
  domain: env('FEISHU_DOMAIN'),
  loggerLevel: lark.LoggerLevel.error,
});
const CARD =
  process.env.SDK_BOT_CARD ??
  JSON.stringify({
    schema: '2.0',
    header: { title: { tag: 'plain_text', content: '收到 · Received' }, template: 'green' },
    body: { elements: [{ tag: 'markdown', content: '命令已收到。 The command was received.' }] },
  });
const dispatcher = new lark.EventDispatcher({
  encryptKey: env('FEISHU_ENCRYPT_KEY'),
  verificationToken: env('FEISHU_VERIFICATION_TOKEN'),
  loggerLevel: lark.LoggerLevel.error,
}).register({
  'im.message.receive_v1': async (data) => {
    await client.im.v1.message.reply({
      path: { message_id: data.message.message_id },
      data: { msg_type: 'interactive', content: CARD },
    });
  },
});

const app = express();
app.disable('x-powered-by');
app.post('/webhook/event', express.json(), lark.adaptExpress(dispatcher, { autoChallenge: true }));
app.get('/healthz', (_req, res) => {
  res.json({ ok: true });
});
const server = app.listen(Number(env('PORT')), process.env.HOST ?? '127.0.0.1');
process.once('SIGTERM', () => server.close(() => process.exit(0)));
