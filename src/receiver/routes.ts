/**
 * The webhook routes. Bodies are read raw so the signature covers the exact bytes; verification is the pure
 * `verifyPush`; events are persisted by the inbox before the 200; card callbacks are answered with the app's
 * response and its `afterAck` runs once the response is out.
 */
import express, { type Request, type Response } from 'express';
import type { CardAnswer, Delivery, DeliveryHandler } from '../delivery.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { AcceptOutcome } from '../inbox/inbox.js';
import { createTimeMs, legacyCardResponse } from '../protocol/envelope.js';
import { verifyPush, type RejectReason, type RejectStatus, type VerifySecrets } from './verify.js';

export interface ReceiverDeps {
  secrets: VerifySecrets;
  bodyLimitBytes: number;
  inbox: { accept(d: Delivery): Promise<AcceptOutcome>; recordCallback(d: Delivery): Promise<AcceptOutcome> };
  handler: Pick<DeliveryHandler, 'handleCard'>;
  logger: Logger;
  metrics: Metrics;
  now: () => number;
  /** False while shutting down: pushes get 503 and Feishu re-pushes them later. */
  accepting: () => boolean;
}

export const EVENT_PATH = '/webhook/event';
export const CARD_PATH = '/webhook/card';

/** Shown to the user when the app broke its promise to always answer (handleCard threw). */
const FAILED_ACTION_TOAST: CardAnswer = {
  response: { toast: { type: 'error', content: '操作失败，请稍后重试 · The action failed, please try again', i18n: { zh_cn: '操作失败，请稍后重试', en_us: 'The action failed, please try again' } } },
};

export function receiverRouter(deps: ReceiverDeps): express.Router {
  const { logger, metrics } = deps;
  const router = express.Router();
  const rawBody = express.raw({ type: () => true, limit: deps.bodyLimitBytes });

  const refuse = (req: Request, res: Response, status: RejectStatus | 503, reason: RejectReason | 'shutting_down', detail: string) => {
    metrics.eventsRejected.inc({ reason });
    // Path, reason and peer only: the body and headers may carry tokens.
    logger.warn({ path: req.path, status, reason, detail, ip: req.ip }, 'push rejected');
    res.status(status).json({ error: reason, message: detail });
  };

  const receive = (endpoint: 'event' | 'card') => async (req: Request, res: Response) => {
    if (!deps.accepting()) return refuse(req, res, 503, 'shutting_down', 'the bot is shutting down; Feishu will re-push');
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const result = verifyPush({ rawBody: body, headers: req.headers, now: deps.now(), endpoint }, deps.secrets);
    if (!result.ok) return refuse(req, res, result.status, result.reason, result.detail);
    // Answered before the store is touched: Feishu allows 1 s for url_verification.
    if (result.kind === 'challenge') return res.json({ challenge: result.challenge });

    const d = result.delivery;
    if (d.kind === 'card') return answerCard(d, res, logger.child({ eventId: d.id, type: d.type }));
    // Every line below carries the event id; the bindings are written inline rather than through a child logger
    // built per event, since a busy receiver writes at most one line per event.
    const tag = { eventId: d.id, type: d.type };

    let outcome: AcceptOutcome;
    try {
      outcome = await deps.inbox.accept(d);
    } catch (err) {
      // No 200: Feishu re-pushes, which is the only safe answer when the event could not be persisted.
      logger.error({ ...tag, err }, 'could not persist an event');
      return res.status(500).json({ error: 'store_unavailable' });
    }
    if (outcome === 'duplicate') {
      metrics.eventsDuplicate.inc({ type: d.type });
      logger.info({ ...tag, dedupeKey: d.dedupeKey }, 'duplicate event acknowledged and dropped');
    } else {
      metrics.eventsAccepted.inc({ type: d.type });
      if (logger.isLevelEnabled('info')) {
        const created = createTimeMs((d.payload.header as { create_time?: unknown } | undefined)?.create_time);
        logger.info({ ...tag, lagMs: created === undefined ? undefined : d.receivedAt - created }, 'event accepted');
      }
    }
    return res.json({ msg: 'success' });
  };

  const answerCard = async (d: Delivery, res: Response, log: Logger) => {
    let first: AcceptOutcome;
    try {
      first = await deps.inbox.recordCallback(d);
    } catch (err) {
      // Failing open: answering the user matters more than the dedupe record.
      log.error({ err }, 'could not record a card callback; answering it anyway');
      first = 'accepted';
    }
    if (first === 'duplicate') {
      metrics.eventsDuplicate.inc({ type: d.type });
      log.info('card callback already answered; replying {}');
      return res.json({});
    }
    metrics.eventsAccepted.inc({ type: d.type });
    const end = metrics.handlerSeconds.startTimer({ kind: 'card', name: cardActionName(d) });
    let answer: CardAnswer;
    try {
      answer = await deps.handler.handleCard(d);
      end({ outcome: 'ok' });
    } catch (err) {
      end({ outcome: 'error' });
      log.error({ err }, 'card handler threw; answering with an error toast');
      answer = FAILED_ACTION_TOAST;
    }
    if (answer.continuation) {
      // Durable before the answer: once Feishu shows the progress card, a crash must not leave it there.
      await deps.inbox.accept(answer.continuation).catch((err: unknown) =>
        log.error({ err }, 'could not persist a card continuation; it finishes only if this process lives'));
    }
    const { afterAck } = answer;
    if (afterAck) {
      // 'close' follows 'finish'; without 'finish' the client went away, but the work it asked for still runs.
      res.once('close', () => {
        if (!res.writableFinished) log.warn('card callback connection closed before the answer was sent');
        afterAck().catch((err: unknown) => log.error({ err }, 'card afterAck failed'));
      });
    }
    const legacy = (d.payload as { legacy?: unknown }).legacy === true;
    return res.json(legacy ? legacyCardResponse(answer.response) : answer.response);
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

/** The button's routing key (`action.value.action`, see the cards contract), for the latency label. */
function cardActionName(d: Delivery): string {
  const value = (d.payload as { event?: { action?: { value?: { action?: unknown } } } }).event?.action?.value;
  return typeof value?.action === 'string' ? value.action : d.type;
}
