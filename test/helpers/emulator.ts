/**
 * Shared setup for tests that drive the emulator over HTTP: one emulator per test file with an official SDK
 * client on it, the control API under /_emulator/, and the status and Feishu body of a rejected SDK call.
 */
import type * as lark from '@larksuiteoapi/node-sdk';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { FeishuError } from '../../src/feishu/errors.js';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator/index.js';
import { sdkClient } from '../../src/emulator/testing.js';

export interface EmulatorContext {
  emu: Emulator;
  /** Tests may replace it, e.g. with a fresh client once the emulator clock has passed the token expiry. */
  client: lark.Client;
}

export interface UseEmulatorOptions {
  /** Options for startEmulator. */
  start?: EmulatorOptions;
  /** A new SDK client (own token cache) before each test, for tests that move the clock past token expiries; otherwise one per file. */
  clientPerTest?: boolean;
}

/**
 * Registers the vitest hooks of a file's emulator: started before all tests and closed after them; after each
 * test its data, call log, faults and limits are reset and its time scale set back to 1.
 * The returned context is filled in by beforeAll: read its fields inside tests and hooks only.
 */
export function useEmulator(o: UseEmulatorOptions = {}): EmulatorContext {
  const ctx = {} as EmulatorContext;
  beforeAll(async () => {
    ctx.emu = await startEmulator(o.start);
    if (!o.clientPerTest) ctx.client = sdkClient(ctx.emu);
  });
  if (o.clientPerTest) {
    beforeEach(() => {
      ctx.client = sdkClient(ctx.emu);
    });
  }
  afterEach(async () => {
    await control(ctx.emu, 'reset', {});
    await control(ctx.emu, 'time', { scale: 1 });
  });
  afterAll(() => ctx.emu?.close());
  return ctx;
}

/** One JSON request to the emulator (any path, any method); never throws on an HTTP error status. */
export async function emulatorRequest(
  emu: Pick<Emulator, 'url'>,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${emu.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/**
 * The control API: `path` is relative to /_emulator/ ('reset', 'time', 'mail/limits', 'calls?path=…').
 * GET without a body, POST with one (`{}` for a bare POST). Throws with the emulator's answer unless 2xx.
 */
export async function control(
  emu: Pick<Emulator, 'url'>,
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const method = body === undefined ? 'GET' : 'POST';
  const res = await emulatorRequest(emu, method, `/_emulator/${path}`, body);
  if (res.status < 200 || res.status > 299)
    throw new Error(`${method} /_emulator/${path}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export interface Rejection<D> {
  status: number;
  code: number;
  msg: string;
  headers: Record<string, string>;
  /** The whole response body (OAuth errors carry `error` and `error_description`; Open API errors `error.log_id`). */
  data: D;
}

/**
 * The SDK rejects a non-2xx answer with an AxiosError: this returns its HTTP status, headers and Feishu body.
 * Throws if the call succeeded or failed without an HTTP answer.
 */
export async function rejection<D = Record<string, unknown>>(call: Promise<unknown>): Promise<Rejection<D>> {
  let result: unknown;
  try {
    result = await call;
  } catch (e) {
    const response = (
      e as { response?: { status: number; data: D & { code: number; msg: string }; headers: Record<string, string> } }
    ).response;
    if (!response) throw new Error(`expected an HTTP error, got ${String(e)}`, { cause: e });
    return {
      status: response.status,
      code: response.data.code,
      msg: response.data.msg,
      headers: response.headers,
      data: response.data,
    };
  }
  throw new Error(`expected the call to fail, it returned ${JSON.stringify(result)?.slice(0, 300)}`);
}

/** The FeishuError a Feishu port call rejects with; fails the test if it rejects with anything else. */
export async function feishuRejection(call: Promise<unknown>): Promise<FeishuError> {
  const e = await call.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(FeishuError);
  return e as FeishuError;
}
