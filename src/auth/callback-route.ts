/**
 * The sign-in pages on the bot's own origin:
 * - `GET /oauth/start?t=…`, the link on the sign-in card: binds a fresh state to this browser with a cookie, then
 *   redirects to Feishu's consent page;
 * - `GET /oauth/callback`, where Feishu sends the browser back. What follows in the chat (the confirmation card, the
 *   resumed command) is recorded durably before the page answers, and runs from the inbox: a slow chat never holds
 *   the browser, and a crash after the answer loses nothing.
 */
import express from 'express';
import { pick, pickLocale, t } from '../i18n.js';
import type { Logger } from '../log.js';
import { callbackPage } from './callback-page.js';
import type { BegunSignIn, CallbackOutcome, SignInRefusal } from './oauth.js';

export const CALLBACK_PATH = '/oauth/callback';
export const START_PATH = '/oauth/start';

export interface CallbackRouteOptions {
  begin(ticket: unknown): Promise<BegunSignIn | SignInRefusal>;
  complete(query: unknown, cookies: Readonly<Record<string, string>>): Promise<CallbackOutcome>;
  /** Persists what the outcome triggers; `state` is the single-use state of this sign-in, a stable key for it. */
  record(outcome: CallbackOutcome, state: string): Promise<void>;
  /** Cookies get `Secure` when the public URL is https. */
  secure: boolean;
  logger: Logger;
}

/** The query held a code and a state: keep it out of caches and of the next page's Referer. */
const PRIVATE = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };

/** The answer when the sign-in itself broke (the store, Feishu): plain text, in the reader's language. */
const failed = (req: express.Request, res: express.Response) =>
  res
    .status(500)
    .set(PRIVATE)
    .type('text/plain')
    .send(pick(t('login.failed'), pickLocale(req.headers['accept-language'])));

/** Cookie names and values here are base64url: no quoting or escaping to undo. */
export function cookiesOf(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of header?.split(';') ?? []) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

export function oauthCallbackRouter(o: CallbackRouteOptions): express.Router {
  const r = express.Router();

  r.get(START_PATH, async (req, res) => {
    let begun: BegunSignIn | SignInRefusal;
    try {
      begun = await o.begin(req.query.t);
    } catch (err) {
      o.logger.error({ err }, 'sign-in start failed');
      failed(req, res);
      return;
    }
    if (!begun.ok) {
      const page = callbackPage(begun, req.headers['accept-language']);
      res.status(page.status).set(PRIVATE).type('html').send(page.html);
      return;
    }
    // Lax: sent on the top-level redirect back from Feishu's consent page, never on a cross-site subrequest.
    res.cookie(begun.cookie.name, begun.cookie.value, {
      httpOnly: true,
      sameSite: 'lax',
      secure: o.secure,
      path: CALLBACK_PATH,
      maxAge: begun.cookie.maxAgeSeconds * 1000,
    });
    res.set(PRIVATE).redirect(302, begun.authorizeUrl);
  });

  r.get(CALLBACK_PATH, async (req, res) => {
    let outcome: CallbackOutcome;
    const state = typeof req.query.state === 'string' ? req.query.state : '';
    try {
      outcome = await o.complete(req.query, cookiesOf(req.headers.cookie));
      await o.record(outcome, state);
    } catch (err) {
      o.logger.error({ err }, 'sign-in callback failed');
      failed(req, res);
      return;
    }
    if (!outcome.ok) o.logger.info({ kind: outcome.kind, detail: outcome.detail }, 'sign-in callback refused');
    const page = callbackPage(outcome, req.headers['accept-language']);
    res.status(page.status).set(PRIVATE).type('html').send(page.html);
  });
  return r;
}
