/** Prometheus metrics for GET /metrics. One registry per app instance, so tests can run several. */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  return {
    registry,
    eventsAccepted: new Counter({
      name: 'feishu_events_accepted_total',
      help: 'Deliveries persisted and acknowledged',
      labelNames: ['type'],
      registers: [registry],
    }),
    eventsDuplicate: new Counter({
      name: 'feishu_events_duplicate_total',
      help: 'Deliveries acknowledged and dropped as already seen',
      labelNames: ['type'],
      registers: [registry],
    }),
    eventsRejected: new Counter({
      name: 'feishu_events_rejected_total',
      help: 'Requests refused before any handler ran',
      labelNames: ['reason'],
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'feishu_inbox_pending',
      help: 'Accepted deliveries not yet processed (shared by all instances on Redis)',
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: 'feishu_inbox_running',
      help: 'Deliveries this instance is working on now',
      registers: [registry],
    }),
    limiterWait: new Histogram({
      name: 'feishu_limiter_wait_seconds',
      help: 'Time this instance waited for a rate-limit slot before an Open API call',
      labelNames: ['endpoint'],
      buckets: [0, 0.05, 0.1, 0.5, 1, 5, 15, 60],
      registers: [registry],
    }),
    handlerSeconds: new Histogram({
      name: 'feishu_handler_duration_seconds',
      help: 'Handler run time',
      labelNames: ['kind', 'name', 'outcome'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    openApiCalls: new Counter({
      name: 'feishu_openapi_calls_total',
      help: 'Open API calls by endpoint and result code',
      labelNames: ['endpoint', 'code'],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
