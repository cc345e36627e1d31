/**
 * `GET /oauth/callback`: where Feishu's consent page sends the browser. The page answers at once; what follows
 * in the chat (the confirmation card, the resumed command) runs after, so a slow chat never holds the browser.
 */
import express from 'express';
import type { Logger } from '../log.js';
import { callbackPage } from './callback-page.js';
import type { CallbackOutcome } from './oauth.js';

export const CALLBACK_PATH = '/oauth/callback';

export interface CallbackRouteOptions {
  complete(query: unknown): Promise<CallbackOutcome>;
  /** `state` is the single-use state of this sign-in: a stable key for what the outcome triggers. */
  after(outcome: CallbackOutcome, state: string): Promise<void>;
  logger: Logger;
}

export function oauthCallbackRouter(o: CallbackRouteOptions): express.Router {
  const r = express.Router();
  r.get(CALLBACK_PATH, async (req, res) => {
    let outcome: CallbackOutcome;
    try {
      outcome = await o.complete(req.query);
    } catch (err) {
      o.logger.error({ err }, 'sign-in callback failed');
      res.status(500).type('text/plain').send('sign-in failed: try /login again');
      return;
    }
    const page = callbackPage(outcome);
    // The URL held a code and a state: keep it out of caches and of the next page's Referer.
    res.status(page.status).set({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }).type('html').send(page.html);
    if (!outcome.ok) o.logger.info({ kind: outcome.kind, detail: outcome.detail }, 'sign-in callback refused');
    const state = typeof req.query.state === 'string' ? req.query.state : '';
    o.after(outcome, state).catch((err: unknown) => o.logger.error({ err }, 'after sign-in: could not answer in the chat'));
  });
  return r;
}
