/**
 * Sign-in and vault wiring for auth tests: a real SQLite Store file, the emulator over HTTP, the SDK client for
 * user_info, and clocks the tests move by hand.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { feishuOAuthHttp, TOKEN_PATH, type OAuthHttp } from '../../src/auth/oauth-http.js';
import { SignIn } from '../../src/auth/oauth.js';
import { Sealer } from '../../src/auth/seal.js';
import { TokenVault } from '../../src/auth/vault.js';
import { parseConfig } from '../../src/config.js';
import type { Emulator } from '../../src/emulator/index.js';
import type { CallRecord } from '../../src/emulator/kit.js';
import { sdkClient } from '../../src/emulator/testing.js';
import { openStore, type Store } from '../../src/store/index.js';
import { control } from './emulator.js';

export const REDIRECT_URI = 'http://127.0.0.1:1/oauth/callback';
export const START_URI = 'http://127.0.0.1:1/oauth/start';

export interface AuthRig {
  dir: string;
  store: Store;
  http: OAuthHttp;
  vault: TokenVault;
  signIn: SignIn;
  key: Buffer;
  clock: { now: number };
}

const open: AuthRig[] = [];

afterEach(async () => {
  for (const rig of open.splice(0)) {
    await rig.store.close();
    rmSync(rig.dir, { recursive: true, force: true });
  }
});

export async function authRig(emu: Emulator): Promise<AuthRig> {
  const dir = mkdtempSync(join(tmpdir(), 'auth-'));
  const store = await openStore(parseConfig({}, { LOG_LEVEL: 'silent' }), dir);
  const clock = { now: Date.now() };
  const now = () => clock.now;
  const key = randomBytes(32);
  const http = feishuOAuthHttp({
    domain: emu.url,
    appId: emu.state.app.appId,
    appSecret: emu.state.app.appSecret,
    client: () => sdkClient(emu),
  });
  const vault = new TokenVault({ kv: store, key, http, now });
  const signIn = new SignIn({
    kv: store,
    http,
    tokens: vault,
    sealer: new Sealer(key),
    domain: emu.url,
    appId: emu.state.app.appId,
    redirectUri: REDIRECT_URI,
    startUri: START_URI,
    now,
  });
  const rig = { dir, store, http, vault, signIn, key, clock };
  open.push(rig);
  return rig;
}

/** Opens the authorize URL as `user` (open_id) would in a browser; returns where Feishu redirects to. */
async function authorize(url: string, user: string, deny = false): Promise<URL> {
  const page = new URL(url);
  page.searchParams.set('emulator_user', user);
  if (deny) page.searchParams.set('emulator_deny', '1');
  const res = await fetch(page, { redirect: 'manual' });
  const location = res.headers.get('location');
  if (res.status !== 302 || !location) throw new Error(`authorize answered HTTP ${res.status}: ${await res.text()}`);
  return new URL(location);
}

/** Consents as `user` (open_id) on the authorize page; returns the callback query Feishu redirects to. */
export async function consent(url: string, user: string, deny = false): Promise<Record<string, string>> {
  const target = await authorize(url, user, deny);
  if (target.origin + target.pathname !== REDIRECT_URI) throw new Error(`redirected to ${target.href}`);
  return Object.fromEntries(target.searchParams);
}

/** What one browser holds after opening a card's sign-in link and consenting: the callback query and its cookies. */
export interface Consented {
  query: Record<string, string>;
  cookies: Record<string, string>;
}

/** Opens the card's link (`start`'s url) in a fresh browser and consents as `user`. */
export async function consentFrom(signIn: SignIn, startUrl: string, user: string, deny = false): Promise<Consented> {
  const begun = await signIn.begin(new URL(startUrl).searchParams.get('t'));
  if (!begun.ok) throw new Error(`the start link was refused: ${begun.kind}`);
  return { query: await consent(begun.authorizeUrl, user, deny), cookies: { [begun.cookie.name]: begun.cookie.value } };
}

/**
 * A browser over HTTP against a running bot: opens the card's link on the bot (keeping the cookie it sets), lets
 * the emulator's authorize page consent as `openId`, and follows the redirect back to the bot's callback.
 */
export async function browserSignIn(
  startUrl: string,
  openId: string,
  o: { deny?: boolean; cookies?: boolean } = {},
): Promise<{ status: number; page: string; callback: string }> {
  const start = await fetch(startUrl, { redirect: 'manual' });
  const feishu = start.headers.get('location');
  if (start.status !== 302 || !feishu)
    throw new Error(`the start link answered ${start.status}: ${await start.text()}`);
  const cookie = start.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const callback = (await authorize(feishu, openId, o.deny)).href;
  const res = await fetch(callback, o.cookies === false ? {} : { headers: { cookie } });
  return { status: res.status, page: await res.text(), callback };
}

/** The sign-in link on a sign-in card. */
export function signInLink(card: unknown): string {
  const found = JSON.stringify(card).match(/"default_url":"([^"]+)"/);
  if (!found?.[1]) throw new Error(`no sign-in link on ${JSON.stringify(card)}`);
  return found[1];
}

/** Token endpoint calls of one grant type, from the emulator's call log (/_emulator/calls). */
export async function tokenCalls(
  emu: Emulator,
  grantType: 'authorization_code' | 'refresh_token',
): Promise<CallRecord[]> {
  const { calls } = (await control(emu, `calls?path=${TOKEN_PATH}`)) as { calls: CallRecord[] };
  return calls.filter((c) => (c.body as { grant_type?: string }).grant_type === grantType);
}
