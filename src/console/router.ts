/**
 * The sandbox console on the bot's port: the page at `/`, its bundled script and styles, the command catalog from
 * the bot's own registry, and the emulator's control API proxied under /_emulator/ so the page talks to one origin.
 * Mounted by the sandbox only: a bot with real credentials never serves it.
 */
import express, { type Response } from 'express';
import type { RegisteredCommand } from '../commands/registry.js';
import { commandKey } from '../commands/registry.js';
import { describeArgs } from '../commands/spec.js';
import { controlGuard } from '../emulator/control.js';
import { LOCALES } from '../i18n.js';
import type { ConsoleAssets } from './bundle.js';
import type { Catalog, Info } from './protocol.js';

export interface ConsoleOptions {
  emulatorUrl: string;
  /** The bot's registered commands (read on each request: handlers may be registered late). */
  commands: () => readonly RegisteredCommand[];
  assets: ConsoleAssets;
}

/** Everything is served from this origin; the only way out is a link the user follows. */
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'";
// A file message carries its bytes as base64 JSON: room for a file a little over the bot's 10 MB cap.
const PROXY_LIMIT = '16mb';

export function catalog(commands: readonly RegisteredCommand[]): Catalog {
  return {
    commands: commands.map((e) => ({
      command: commandKey(e),
      usage: e.spec.usage,
      summary: e.spec.summary,
      examples: [...e.spec.examples],
      args: describeArgs(e.spec),
    })),
  };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function consoleRouter(o: ConsoleOptions): express.Router {
  const r = express.Router();
  const hasLogin = () => o.commands().some((e) => e.name === 'login');
  const send = (res: Response, type: string, body: string) =>
    res
      .set({ 'content-security-policy': CSP, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' })
      .type(type)
      .send(body);

  r.get('/', (_req, res) => send(res, 'html', o.assets.html));
  r.get('/console/app.js', (_req, res) => send(res, 'js', o.assets.js));
  r.get('/console/app.css', (_req, res) => send(res, 'css', o.assets.css));
  r.get('/console/api/commands', (_req, res) => res.json(catalog(o.commands())));
  r.get('/console/api/info', (_req, res) => {
    const info: Info = { emulatorUrl: o.emulatorUrl, botHasLogin: hasLogin(), languages: [...LOCALES] };
    res.json(info);
  });

  // Where the console's own sign-in link comes back: the code is shown, never exchanged. The bot's /login has its
  // own callback (/oauth/callback); this page only proves the consent step.
  r.get('/console/oauth/callback', (req, res) => {
    const q = req.query as Record<string, unknown>;
    const str = (k: string) => (typeof q[k] === 'string' ? q[k] : '');
    const next = hasLogin()
      ? `<p>这个授权码只用于演示，不会被兑换。要让机器人以你的身份发信，在聊天中发送 /login 或 /draft，再点卡片上的“登录飞书”
         · This code is only shown, not exchanged: to let the bot mail as you, send /login or /draft in the chat and follow
         the card's Sign in button.</p>`
      : `<p>机器人还没有 /login 命令，所以这个授权码不会被兑换 · The bot has no /login command yet, so nothing exchanges
         the code for a user token: that comes with the sign-in feature.</p>`;
    const outcome = str('error')
      ? `<p>同意被拒绝 · Consent was denied: <code>${escapeHtml(str('error'))}</code></p>`
      : `<p>已同意授权 · Consent given for <b>${escapeHtml(str('state'))}</b>.</p>
         <p>模拟器签发了授权码 · The emulator issued an authorization code (${str('code').length} characters).</p>${next}`;
    send(
      res,
      'html',
      `<!doctype html><meta charset="utf-8"><title>Sign-in · 登录</title>
      <link rel="stylesheet" href="/console/app.css"><main class="callback">${outcome}<p><a href="/">← 返回控制台 · Back to the console</a></p></main>`,
    );
  });

  // Same-origin JSON only (controlGuard): the emulator sees the proxy, not the page, so the check is made here.
  r.use('/_emulator', controlGuard, express.raw({ type: () => true, limit: PROXY_LIMIT }), async (req, res) => {
    const body = Buffer.isBuffer(req.body) && req.body.length > 0 && req.method !== 'GET' ? req.body : undefined;
    try {
      const answer = await fetch(`${o.emulatorUrl}${req.originalUrl}`, {
        method: req.method,
        headers: body ? { 'content-type': req.get('content-type') ?? 'application/json' } : {},
        body,
        signal: AbortSignal.timeout(15_000),
      });
      res
        .status(answer.status)
        .type(answer.headers.get('content-type') ?? 'application/json')
        .send(Buffer.from(await answer.arrayBuffer()));
    } catch (err) {
      res.status(502).json({ error: `the emulator at ${o.emulatorUrl} did not answer: ${(err as Error).message}` });
    }
  });
  return r;
}
