/**
 * Long-connection mode (FEISHU_TRANSPORT=websocket; Feishu "使用长连接接收事件"): the official SDK's WSClient opens the
 * WebSocket, answers pings, merges fragments and acks each frame with what we return; each envelope goes into the
 * same intake as a webhook push. An event is acked only once the inbox has persisted it: a failure to persist
 * throws, the SDK acks 500, and Feishu re-pushes. A card callback is acked with the app's answer (2.5 s budget).
 * Payloads arrive in plaintext: the connection was authenticated with the app secret when it was opened.
 */
import type * as lark from '@larksuiteoapi/node-sdk';
import { larkSdk, sdkLogger } from '../feishu/sdk.js';
import type { Logger } from '../log.js';
import { isInternalEvent, readEnvelope } from '../protocol/envelope.js';
import type { Intake } from './intake.js';

export interface LongConnectionOptions {
  appId: string;
  appSecret: string;
  /** Open API base URL: the SDK asks `${domain}/callback/ws/endpoint` where to connect. */
  domain: string;
  intake: Intake;
  logger: Logger;
  now?: () => number;
  /** False while shutting down: frames are acked 500 and Feishu re-pushes them. */
  accepting: () => boolean;
}

export interface LongConnection {
  /** connecting, connected, reconnecting, failed or idle (the SDK's own view). */
  state(): string;
  close(): void;
}

/** Resolves once the first connection is up; rejects when Feishu refuses the app (wrong credentials). */
export function openLongConnection(o: LongConnectionOptions): Promise<LongConnection> {
  const log = o.logger.child({ component: 'long-connection' });
  const now = o.now ?? Date.now;
  return new Promise((resolve, reject) => {
    const sdk = larkSdk();
    const client = new sdk.WSClient({
      appId: o.appId,
      appSecret: o.appSecret,
      domain: o.domain,
      loggerLevel: sdk.LoggerLevel.info,
      logger: sdkLogger(log),
      onReady: () => {
        log.info('long connection open');
        resolve({ state: () => client.getConnectionStatus().state, close: () => client.close({ force: true }) });
      },
      onError: (err: Error) => {
        log.error({ err }, 'long connection failed');
        client.close({ force: true });
        reject(
          new Error(
            `Feishu refused the long connection: ${err.message} (check FEISHU_APP_ID / FEISHU_APP_SECRET and that the app subscribes by long connection)`,
          ),
        );
      },
    });
    // The SDK hands the merged envelope to `eventDispatcher.invoke` and acks with its result. An EventDispatcher
    // would strip the header (event_id) the intake dedupes on, so ours takes the envelope as it came.
    const dispatcher = {
      invoke: async (envelope: unknown): Promise<Record<string, unknown> | undefined> => {
        if (!o.accepting()) throw new Error('shutting down: Feishu will re-push');
        const read = readEnvelope(envelope);
        const internal = read.ok && read.envelope.shape !== 'challenge' && isInternalEvent(read.envelope.delivery.type);
        if (!read.ok || read.envelope.shape === 'challenge' || internal) {
          // Acked 200 all the same: a frame we cannot read would be re-pushed unchanged, forever.
          const problem = !read.ok
            ? read.problem
            : internal
              ? 'not a Feishu event type'
              : 'url_verification over the long connection';
          log.warn({ problem }, 'long-connection frame dropped');
          return undefined;
        }
        const d = { ...read.envelope.delivery, receivedAt: now() };
        if (d.kind === 'event') {
          await o.intake.event(d);
          return undefined;
        }
        const { response, afterAck } = await o.intake.card(d);
        // The SDK sends the ack as soon as this resolves; the delayed update works only after it.
        if (afterAck) setImmediate(() => void afterAck());
        return response as Record<string, unknown>;
      },
    };
    void client.start({ eventDispatcher: dispatcher as unknown as lark.EventDispatcher });
  });
}
