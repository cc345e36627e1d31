/**
 * The webhook routes, on Node's http server ahead of express: every push is answered here and the rest of the app
 * (health, metrics, OAuth, console) goes on to express. Express's router and body parser cost this path more than
 * verifying, decrypting and persisting a push together (README, "Ack path"). Bodies are read raw so the signature
 * covers the exact bytes; verification is the pure `verifyPush`; events are persisted by the intake before the 200;
 * card callbacks are answered with the app's response and its `afterAck` runs once the response is out.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
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

/** Takes a request if it is a push (true), or leaves it for the next listener (false). */
export type Route = (req: IncomingMessage, res: ServerResponse) => boolean;

type Refusal = RejectReason | 'shutting_down' | 'store_unavailable' | 'unsupported_encoding';

const SUCCESS = Buffer.from(JSON.stringify({ msg: 'success' }));

function send(res: ServerResponse, status: number, body: Buffer | string): void {
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

const sendJson = (res: ServerResponse, status: number, value: unknown) => send(res, status, JSON.stringify(value));

/**
 * The path without its query string (a proxy may append one), matched as express's router did before this
 * listener took the webhook paths over: case-insensitively, with or without a trailing slash.
 */
const pathOf = (url: string | undefined): string => {
  const q = url?.indexOf('?') ?? -1;
  const path = (q === -1 ? (url ?? '') : url!.slice(0, q)).toLowerCase();
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
};

type Body =
  { ok: true; bytes: Buffer } | { ok: false; status: 400 | 413 | 415; reason: Refusal; detail: string; hint?: string };

/**
 * The raw body, up to `limit` bytes. Feishu sends it uncompressed; a compressed one is refused rather than inflated,
 * so the limit is a limit on what this process holds.
 */
function readBody(req: IncomingMessage, limit: number, done: (body: Body) => void): void {
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    req.resume();
    return done({
      ok: false,
      status: 415,
      reason: 'unsupported_encoding',
      detail: `content-encoding "${encoding}" is not supported: send the body uncompressed`,
    });
  }
  const tooLarge: Body = {
    ok: false,
    status: 413,
    reason: 'body_too_large',
    detail: `the body is larger than ${limit} bytes`,
    hint: 'receiver.bodyLimitBytes in app.config.json sets the limit',
  };
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    req.resume();
    return done(tooLarge);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let settled = false;
  const settle = (body: Body) => {
    if (settled) return;
    settled = true;
    done(body);
  };
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit) {
      // Keep draining (and discarding) so the 413 reaches a client still sending.
      chunks.length = 0;
      return settle(tooLarge);
    }
    if (!settled) chunks.push(chunk);
  });
  req.once('end', () => settle({ ok: true, bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) }));
  req.once('error', (err) =>
    settle({ ok: false, status: 400, reason: 'bad_body', detail: `the body could not be read: ${err.message}` }),
  );
}

export function receiverRoutes(deps: ReceiverDeps): Route {
  const { logger, metrics, intake } = deps;

  const refuse = (
    req: IncomingMessage,
    res: ServerResponse,
    status: RejectStatus | 415 | 500 | 503,
    reason: Refusal,
    detail: string,
    hint?: string,
  ) => {
    metrics.eventsRejected.inc({ reason });
    // Path, reason and peer only: the body and headers may carry tokens. The hint names settings, so it stays here.
    logger.warn({ path: pathOf(req.url), status, reason, detail, hint, ip: req.socket.remoteAddress }, 'push rejected');
    sendJson(res, status, { error: reason, message: detail });
  };

  const receive = async (req: IncomingMessage, res: ServerResponse, endpoint: 'event' | 'card', body: Buffer) => {
    const result = verifyPush({ rawBody: body, headers: req.headers, now: deps.now(), endpoint }, deps.secrets);
    if (!result.ok) return refuse(req, res, result.status, result.reason, result.detail, result.hint);
    // Answered before the store is touched: Feishu allows 1 s for url_verification.
    if (result.kind === 'challenge') return sendJson(res, 200, { challenge: result.challenge });

    const d = result.delivery;
    if (d.kind === 'card') {
      const { response, afterAck } = await intake.card(d);
      // 'close' follows 'finish'; without 'finish' the client went away, but the work it asked for still runs.
      if (afterAck) {
        res.once('close', () => {
          if (!res.writableFinished)
            logger.warn({ eventId: d.id }, 'card callback connection closed before the answer was sent');
          void afterAck();
        });
      }
      const legacy = (d.payload as { legacy?: unknown }).legacy === true;
      return sendJson(res, 200, legacy ? legacyCardResponse(response) : response);
    }
    try {
      await intake.event(d);
    } catch {
      // No 200: Feishu re-pushes, which is the only safe answer when the event could not be persisted.
      return refuse(req, res, 500, 'store_unavailable', 'the event could not be stored; Feishu will re-push');
    }
    return send(res, 200, SUCCESS);
  };

  return (req, res) => {
    if (req.method !== 'POST') return false;
    const path = pathOf(req.url);
    const endpoint = path === EVENT_PATH ? 'event' : path === CARD_PATH ? 'card' : undefined;
    if (endpoint === undefined) return false;
    if (!deps.accepting()) {
      req.resume();
      refuse(req, res, 503, 'shutting_down', 'the bot is shutting down; Feishu will re-push');
      return true;
    }
    readBody(req, deps.bodyLimitBytes, (body) => {
      if (!body.ok) {
        // The rest of an oversized body is not worth reading: the connection ends with the answer.
        if (body.status === 413) res.setHeader('connection', 'close');
        return refuse(req, res, body.status, body.reason, body.detail, body.hint);
      }
      receive(req, res, endpoint, body.bytes).catch((err: unknown) => {
        logger.error({ err, path }, 'push handling failed');
        if (!res.headersSent)
          sendJson(res, 500, { error: 'internal', message: 'the push could not be handled; Feishu will re-push' });
      });
    });
    return true;
  };
}
