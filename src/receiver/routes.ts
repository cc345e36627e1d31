/**
 * The webhook routes. Bodies are read raw so the signature covers the exact bytes; verification is the pure
 * `verifyPush`; events are persisted by the inbox before the 200; card callbacks are answered with the app's
 * response and its `afterAck` runs once the response is out.
 */
import express, { type Request, type Response } from 'express';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { legacyCardResponse } from '../protocol/envelope.js';
import type { Intake } from './intake.js';
import { verifyPush, type RejectReason, type RejectStatus, type VerifySecrets } from './verify.js';

export interface ReceiverDeps {
  secrets: VerifySecrets;
  bodyLimitBytes: number;
  /** What happens to a verified push, the same for every transport. */
  intake: Intake;
  logger: Logger;
  metrics: Metrics;
  now: () => number;
  /** False while shutting down: pushes get 503 and Feishu re-pushes them later. */
  accepting: () => boolean;
}

export const EVENT_PATH = '/webhook/event';
export const CARD_PATH = '/webhook/card';

export function receiverRouter(deps: ReceiverDeps): express.Router {
  const { logger, metrics, intake } = deps;
  const router = express.Router();
  const rawBody = express.raw({ type: () => true, limit: deps.bodyLimitBytes });

  const refuse = (req: Request, res: Response, status: RejectStatus | 503, reason: RejectReason | 'shutting_down', detail: string, hint?: string) => {
    metrics.eventsRejected.inc({ reason });
    // Path, reason and peer only: the body and headers may carry tokens. The hint names settings, so it stays here.
    logger.warn({ path: req.path, status, reason, detail, hint, ip: req.ip }, 'push rejected');
    res.status(status).json({ error: reason, message: detail });
  };

  const receive = (endpoint: 'event' | 'card') => async (req: Request, res: Response) => {
    if (!deps.accepting()) return refuse(req, res, 503, 'shutting_down', 'the bot is shutting down; Feishu will re-push');
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const result = verifyPush({ rawBody: body, headers: req.headers, now: deps.now(), endpoint }, deps.secrets);
    if (!result.ok) return refuse(req, res, result.status, result.reason, result.detail, result.hint);
    // Answered before the store is touched: Feishu allows 1 s for url_verification.
    if (result.kind === 'challenge') return res.json({ challenge: result.challenge });

    const d = result.delivery;
    if (d.kind === 'card') {
      const { response, afterAck } = await intake.card(d);
      // 'close' follows 'finish'; without 'finish' the client went away, but the work it asked for still runs.
      if (afterAck) {
        res.once('close', () => {
          if (!res.writableFinished) logger.warn({ eventId: d.id }, 'card callback connection closed before the answer was sent');
          void afterAck();
        });
      }
      const legacy = (d.payload as { legacy?: unknown }).legacy === true;
      return res.json(legacy ? legacyCardResponse(response) : response);
    }
    try {
      await intake.event(d);
    } catch {
      // No 200: Feishu re-pushes, which is the only safe answer when the event could not be persisted.
      return res.status(500).json({ error: 'store_unavailable' });
    }
    return res.json({ msg: 'success' });
  };

  router.post(EVENT_PATH, rawBody, receive('event'));
  router.post(CARD_PATH, rawBody, receive('card'));
  // Body-parser failures: over the limit (413) or an unreadable body.
  router.use((err: { status?: number; type?: string; message?: string }, req: Request, res: Response, next: (e?: unknown) => void) => {
    if (err.type === 'entity.too.large') {
      return refuse(req, res, 413, 'body_too_large', `the body is larger than ${deps.bodyLimitBytes} bytes (receiver.bodyLimitBytes)`);
    }
    if (err.status && err.status >= 400 && err.status < 500) return refuse(req, res, 400, 'bad_body', `the body could not be read: ${err.message}`);
    return next(err);
  });
  return router;
}
