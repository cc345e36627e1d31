/**
 * What every transport does with a verified Delivery, whether it came over the webhook or the long connection:
 * events are persisted (with dedupe) by the inbox before they are acknowledged; card callbacks are deduped and
 * answered by the app within its 2.5 s budget, with an error toast if the app broke that promise.
 */
import { toastResponse } from '../context.js';
import type { CardAnswer, Delivery, DeliveryHandler } from '../delivery.js';
import { t } from '../i18n.js';
import type { AcceptOutcome } from '../inbox/inbox.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { createTimeMs } from '../protocol/envelope.js';

export interface IntakeDeps {
  inbox: { accept(d: Delivery): Promise<AcceptOutcome>; recordCallback(d: Delivery): Promise<AcceptOutcome> };
  handler: Pick<DeliveryHandler, 'handleCard'>;
  logger: Logger;
  metrics: Metrics;
}

export interface Intake {
  /** Persists an event; rejects when it could not be, and then the transport must not acknowledge it. */
  event(d: Delivery): Promise<AcceptOutcome>;
  /** The answer to a card callback; a repeated push of one already answered gets `{}` and runs no handler. */
  card(d: Delivery): Promise<CardAnswer>;
}

/** Shown to the user when the app broke its promise to always answer (handleCard threw). */
const failedAction = (): CardAnswer => ({
  response: { toast: toastResponse({ type: 'error', text: t('app.actionFailed') }) },
});

export function createIntake({ inbox, handler, logger, metrics }: IntakeDeps): Intake {
  return {
    async event(d) {
      // Every line carries the event id; written inline rather than through a child logger built per event.
      const tag = { eventId: d.id, type: d.type };
      let outcome: AcceptOutcome;
      try {
        outcome = await inbox.accept(d);
      } catch (err) {
        logger.error({ ...tag, err }, 'could not persist an event');
        throw err;
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
      return outcome;
    },

    async card(d) {
      const log = logger.child({ eventId: d.id, type: d.type });
      let first: AcceptOutcome;
      try {
        first = await inbox.recordCallback(d);
      } catch (err) {
        // Failing open: answering the user matters more than the dedupe record.
        log.error({ err }, 'could not record a card callback; answering it anyway');
        first = 'accepted';
      }
      if (first === 'duplicate') {
        metrics.eventsDuplicate.inc({ type: d.type });
        log.info('card callback already answered; replying {}');
        return { response: {} };
      }
      metrics.eventsAccepted.inc({ type: d.type });
      const end = metrics.handlerSeconds.startTimer({ kind: 'card', name: cardActionName(d) });
      try {
        const answer = await handler.handleCard(d);
        end({ outcome: 'ok' });
        if (answer.continuation) {
          // Durable before the answer: once Feishu shows the progress card, a crash must not leave it there.
          await inbox
            .accept(answer.continuation)
            .catch((err: unknown) =>
              log.error({ err }, 'could not persist a card continuation; it finishes only if this process lives'),
            );
        }
        const { afterAck } = answer;
        // afterAck failures are logged here, so a transport only has to start it once the answer is out.
        return afterAck
          ? {
              ...answer,
              afterAck: () => afterAck().catch((err: unknown) => log.error({ err }, 'card afterAck failed')),
            }
          : answer;
      } catch (err) {
        end({ outcome: 'error' });
        log.error({ err }, 'card handler threw; answering with an error toast');
        return failedAction();
      }
    },
  };
}

/** The button's routing key (`action.value.action`, see the cards contract), for the latency label. */
function cardActionName(d: Delivery): string {
  const value = (d.payload as { event?: { action?: { value?: { action?: unknown } } } }).event?.action?.value;
  return typeof value?.action === 'string' ? value.action : d.type;
}
