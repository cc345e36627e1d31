/**
 * Feishu's side of long-connection mode (page "使用长连接接收事件"), so the official SDK's WSClient connects to the emulator
 * unmodified: endpoint discovery (`POST /callback/ws/endpoint`), a WebSocket on `/ws/v2` that accepts a one-time
 * ticket, pbbp2 protobuf frames, ping → pong with the client config, events and card callbacks pushed as data
 * frames (split into fragments past `fragmentBytes`) to one random open connection (cluster mode), and the acks
 * read back. An event with no ack, or a 500 ack, within the deadline counts as a failed push: the delivery's retry
 * ladder re-pushes it.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import express from 'express';
import protobuf from 'protobufjs';
import { WebSocket, WebSocketServer } from 'ws';
import { z } from 'zod';
import type { EmulatorState } from './state.js';

export const WS_PATH = '/ws/v2';
export const ENDPOINT_PATH = '/callback/ws/endpoint';
const SERVICE_ID = 1;
const FRAME_CONTROL = 0;
const FRAME_DATA = 1;

/** pbbp2.Frame as proto2: NODE's decoder throws if a required field is absent, so all are always encoded. */
const Frame = protobuf.Root.fromJSON({
  nested: {
    pbbp2: {
      nested: {
        Header: {
          fields: {
            key: { rule: 'required', type: 'string', id: 1 },
            value: { rule: 'required', type: 'string', id: 2 },
          },
        },
        Frame: {
          fields: {
            SeqID: { rule: 'required', type: 'uint64', id: 1 },
            LogID: { rule: 'required', type: 'uint64', id: 2 },
            service: { rule: 'required', type: 'int32', id: 3 },
            method: { rule: 'required', type: 'int32', id: 4 },
            headers: { rule: 'repeated', type: 'Header', id: 5 },
            payload_encoding: { type: 'string', id: 6 },
            payload_type: { type: 'string', id: 7 },
            payload: { type: 'bytes', id: 8 },
            LogIDNew: { type: 'string', id: 9 },
          },
        },
      },
    },
  },
}).lookupType('pbbp2.Frame');

export interface WireFrame {
  SeqID: number;
  LogID: number;
  service: number;
  method: number;
  headers: { key: string; value: string }[];
  payload?: Uint8Array;
}

export const encodeFrame = (f: WireFrame): Uint8Array => Frame.encode(Frame.fromObject(f)).finish();
export const decodeFrame = (bytes: Uint8Array): WireFrame =>
  Frame.toObject(Frame.decode(bytes), { longs: Number, defaults: true }) as WireFrame;

const header = (f: WireFrame, key: string) => f.headers.find((h) => h.key === key)?.value;

/** The ack's payload (GO `ws/model.go` Response): `data` is base64 of the callback's JSON answer. */
const ackSchema = z.object({ code: z.number(), data: z.string().nullish() }).passthrough();

/** The SDK WSClient's defaults, in seconds: what Feishu answers unless told otherwise. */
const CLIENT_CONFIG = { PingInterval: 120, ReconnectCount: -1, ReconnectInterval: 120, ReconnectNonce: 30 };

export interface PushResult {
  status?: number;
  text?: string;
  error?: string;
  ms: number;
}

export class LongConnections {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly tickets = new Set<string>();
  private readonly sockets = new Set<WebSocket>();
  private readonly acks = new Map<string, (ack: z.infer<typeof ackSchema>) => void>();
  private seq = 0;
  /** Pings answered and data frames sent (fragments count one each), for tests. */
  pongs = 0;
  framesSent = 0;

  constructor(private readonly state: EmulatorState) {}

  get connections(): number {
    return this.sockets.size;
  }

  /** `POST /callback/ws/endpoint`: checks the app's credentials and hands out a one-time connect URL. */
  routes(): express.Router {
    const r = express.Router();
    r.post(ENDPOINT_PATH, (req, res) => {
      const body = z.object({ AppID: z.string(), AppSecret: z.string() }).safeParse(req.body ?? {});
      if (!body.success)
        return res.json({
          code: 10003,
          msg: 'invalid param: the body must be {"AppID": "cli_…", "AppSecret": "…"}',
          data: {},
        });
      const { appId, appSecret } = this.state.app;
      // A client error: the SDK's WSClient stops rather than retrying.
      if (body.data.AppID !== appId || body.data.AppSecret !== appSecret)
        return res.json({ code: 10014, msg: 'app secret invalid', data: {} });
      const ticket = randomBytes(16).toString('hex');
      this.tickets.add(ticket);
      const query = new URLSearchParams({
        fpid: '1',
        aid: '1',
        device_id: String(++this.seq),
        access_key: randomBytes(8).toString('hex'),
        service_id: String(SERVICE_ID),
        ticket,
      });
      return res.json({
        code: 0,
        msg: 'ok',
        data: { URL: `ws://${req.headers.host}${WS_PATH}?${query}`, ClientConfig: CLIENT_CONFIG },
      });
    });
    return r;
  }

  /** Takes WebSocket upgrades on `server`; a missing or used ticket is refused with Feishu's handshake headers. */
  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(req.url ?? '/', 'http://emulator');
      const ticket = url.searchParams.get('ticket') ?? '';
      if (url.pathname !== WS_PATH || !this.tickets.delete(ticket)) {
        socket.end(
          'HTTP/1.1 403 Forbidden\r\nHandshake-Status: 403\r\nHandshake-Msg: invalid or used ticket: call /callback/ws/endpoint first\r\n\r\n',
        );
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    });
  }

  private accept(ws: WebSocket): void {
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      let frame: WireFrame;
      try {
        frame = decodeFrame(data);
      } catch {
        return;
      }
      if (frame.method === FRAME_CONTROL && header(frame, 'type') === 'ping') {
        this.pongs++;
        ws.send(
          encodeFrame({
            SeqID: 0,
            LogID: 0,
            service: frame.service,
            method: FRAME_CONTROL,
            headers: [{ key: 'type', value: 'pong' }],
            payload: Buffer.from(JSON.stringify(CLIENT_CONFIG)),
          }),
        );
        return;
      }
      if (frame.method === FRAME_DATA) {
        const id = header(frame, 'message_id');
        const ack = ackSchema.safeParse(safeJson(Buffer.from(frame.payload ?? []).toString('utf8')));
        if (id && ack.success) this.acks.get(id)?.(ack.data);
      }
    });
  }

  /**
   * Pushes one plaintext envelope to one open connection and waits for its ack: status 200 with the decoded
   * callback answer as `text`, the ack's code otherwise, or an error when nobody is connected or no ack came.
   */
  async push(payload: unknown, deadlineMs: number, fragmentBytes: number): Promise<PushResult> {
    const started = performance.now();
    const open = [...this.sockets].filter((s) => s.readyState === WebSocket.OPEN);
    const ws = open[Math.floor(Math.random() * open.length)];
    if (!ws) return { error: 'no long connection open: start the bot with FEISHU_TRANSPORT=websocket', ms: 0 };
    const messageId = randomBytes(12).toString('hex');
    const bytes = Buffer.from(JSON.stringify(payload));
    const parts: Buffer[] = [];
    for (let at = 0; at < bytes.length || parts.length === 0; at += fragmentBytes)
      parts.push(bytes.subarray(at, at + fragmentBytes));
    const acked = new Promise<z.infer<typeof ackSchema> | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), deadlineMs);
      this.acks.set(messageId, (ack) => {
        clearTimeout(timer);
        resolve(ack);
      });
    });
    const traceId = randomBytes(8).toString('hex');
    parts.forEach((part, i) => {
      const seq = ++this.seq;
      this.framesSent++;
      ws.send(
        encodeFrame({
          SeqID: seq,
          LogID: seq,
          service: SERVICE_ID,
          method: FRAME_DATA,
          headers: [
            { key: 'type', value: 'event' },
            { key: 'message_id', value: messageId },
            { key: 'sum', value: String(parts.length) },
            { key: 'seq', value: String(i) },
            { key: 'trace_id', value: traceId },
            { key: 'timestamp', value: String(Date.now()) },
          ],
          payload: part,
        }),
      );
    });
    const ack = await acked;
    this.acks.delete(messageId);
    const ms = performance.now() - started;
    if (!ack) return { error: `no ack within ${deadlineMs} ms`, ms };
    return { status: ack.code, text: ack.data ? Buffer.from(ack.data, 'base64').toString('utf8') : '', ms };
  }

  close(): void {
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
    this.wss.close();
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
