/**
 * Shared setup for the mail emulator tests: an emulator with the mail routes over real HTTP, the official SDK
 * client pointed at it, user tokens from the emulator's OAuth flow, and EML builders.
 */
import * as lark from '@larksuiteoapi/node-sdk';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { DEFAULT_APP_ID, DEFAULT_APP_SECRET, DEFAULT_MODULES, startEmulator, type Emulator } from '../src/emulator/index.js';
import { mailRoutes } from '../src/emulator/mail.js';
import type { RouteModule } from '../src/emulator/server.js';

export const DOMAIN = 'feishu-ops.example';
export const ZHANGWEI = `zhangwei@${DOMAIN}`;
export const LINA = `lina@${DOMAIN}`;

/** Mounts the mail routes unless the default module list already does. */
const modules = (): readonly RouteModule[] => (DEFAULT_MODULES.includes(mailRoutes) ? DEFAULT_MODULES : [...DEFAULT_MODULES, mailRoutes]);

const quiet = { error() {}, warn() {}, info() {}, debug() {}, trace() {} };

export interface MailHarness {
  emu: Emulator;
  client: lark.Client;
  control(path: string, body?: unknown): Promise<unknown>;
  userToken(who: string): Promise<string>;
  close(): Promise<void>;
}

export async function startMailHarness(): Promise<MailHarness> {
  const emu = await startEmulator({ modules: modules() });
  const client = new lark.Client({ appId: DEFAULT_APP_ID, appSecret: DEFAULT_APP_SECRET, domain: emu.url, logger: quiet });
  const control = async (path: string, body?: unknown) => {
    const res = await fetch(`${emu.url}/_emulator/${path}`, body === undefined ? {} : {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`control ${path} failed: ${res.status} ${await res.text()}`);
    return res.json();
  };
  /** The OAuth flow a browser would take: the authorize page consents and redirects with a code. */
  const userToken = async (who: string) => {
    const authorize = new URL('/open-apis/authen/v1/authorize', emu.url);
    authorize.search = new URLSearchParams({
      client_id: DEFAULT_APP_ID, redirect_uri: 'http://127.0.0.1:9/callback', state: 's1', emulator_user: who,
    }).toString();
    const redirect = await fetch(authorize, { redirect: 'manual' });
    const code = new URL(redirect.headers.get('location') ?? '').searchParams.get('code');
    const res = await fetch(`${emu.url}/open-apis/authen/v2/oauth/token`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'authorization_code', client_id: DEFAULT_APP_ID, client_secret: DEFAULT_APP_SECRET, code }),
    });
    const body = (await res.json()) as { access_token?: string };
    if (!body.access_token) throw new Error(`no user token for ${who}: ${JSON.stringify(body)}`);
    return body.access_token;
  };
  return { emu, client, control, userToken, close: () => emu.close() };
}

export interface Failure {
  status: number;
  code: number;
  msg: string;
  headers: Record<string, string>;
}

/** The SDK rejects non-2xx with an AxiosError; this returns its status and Feishu body, or throws if it succeeded. */
export async function failure(call: Promise<unknown>): Promise<Failure> {
  let result: unknown;
  try {
    result = await call;
  } catch (e) {
    const response = (e as { response?: { status: number; data: { code: number; msg: string }; headers: Record<string, string> } }).response;
    if (!response) throw e;
    return { status: response.status, code: response.data.code, msg: response.data.msg, headers: response.headers };
  }
  throw new Error(`expected the call to fail, it returned ${JSON.stringify(result).slice(0, 300)}`);
}

export async function eml(options: SendMailOptions): Promise<Buffer> {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true });
  return (await transport.sendMail(options)).message as Buffer;
}

/** A base64url EML from `from` to `to`, with the given extra options. */
export async function rawMail(from: string, to: string | string[], extra: SendMailOptions = {}): Promise<string> {
  return (await eml({ from, to, subject: '周报 Weekly report', text: '本周无事故 No incidents this week.', ...extra })).toString('base64url');
}
