import * as lark from '@larksuiteoapi/node-sdk';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureKeyFile, KEY_FILE } from '../src/auth/key-file.js';
import type { TokenGrant, UserIdentity } from '../src/auth/oauth-http.js';
import {
  InProcessLock,
  NeedsSignIn,
  parseEncryptionKey,
  REFRESH_AHEAD_MS,
  TokenServiceUnavailable,
  TokenVault,
} from '../src/auth/vault.js';
import { parseConfig } from '../src/config.js';
import { loginUser } from '../src/emulator/testing.js';
import { openStore } from '../src/store/index.js';
import { authRig, tokenCalls } from './helpers/auth.js';
import { control, useEmulator } from './helpers/emulator.js';

const h = useEmulator({ clientPerTest: true });
const user = () => h.emu.state.users[1]!;
const identity = (): UserIdentity => ({
  open_id: user().open_id,
  name: user().name,
  enterprise_email: user().enterprise_email,
});

/** A real grant from the emulator (offline_access unless told otherwise). */
async function grant(scope = 'offline_access mail:user_mailbox.message:send'): Promise<TokenGrant> {
  const t = await loginUser(h.emu, user().open_id, scope);
  return { ...t, scope: t.scope };
}

async function needsSignIn(call: Promise<unknown>): Promise<NeedsSignIn> {
  const e = await call.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(NeedsSignIn);
  return e as NeedsSignIn;
}

describe('TOKEN_ENCRYPTION_KEY', () => {
  const key = randomBytes(32);

  it('accepts 32 bytes as hex, base64 or base64url', () => {
    expect(parseEncryptionKey(key.toString('hex'))).toEqual(key);
    expect(parseEncryptionKey(` ${key.toString('base64')}\n`)).toEqual(key);
    expect(parseEncryptionKey(key.toString('base64url'))).toEqual(key);
  });

  it('explains what is wrong without echoing the value', () => {
    expect(() => parseEncryptionKey(undefined)).toThrow(/TOKEN_ENCRYPTION_KEY is not set/);
    expect(() => parseEncryptionKey('abcdef0123')).toThrow(/10 hex characters \(64 needed\)/);
    expect(() => parseEncryptionKey(randomBytes(16).toString('base64'))).toThrow(/base64 of 16 bytes \(32 needed\)/);
    const bad = 'not a key!';
    expect(() => parseEncryptionKey(bad)).toThrow(/neither hex nor base64/);
    try {
      parseEncryptionKey(bad);
    } catch (e) {
      expect((e as Error).message).not.toContain(bad);
    }
  });

  it('is generated once into DATA_DIR readable by the owner only, and a shared file is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'key-'));
    try {
      const first = await ensureKeyFile(join(dir, 'data'));
      expect(first.created).toBe(true);
      expect(statSync(first.path).mode & 0o777).toBe(0o600);
      const again = await ensureKeyFile(join(dir, 'data'));
      expect(again).toMatchObject({ created: false, path: first.path });
      expect(again.key).toEqual(first.key);
      chmodSync(first.path, 0o644);
      await expect(ensureKeyFile(join(dir, 'data'))).rejects.toThrow(/readable by others.*chmod 600/);
      writeFileSync(join(dir, KEY_FILE), 'short\n', { mode: 0o600 });
      await expect(ensureKeyFile(dir)).rejects.toThrow(/must be 32 bytes/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('token vault', () => {
  it('keeps no access or refresh token in clear in the SQLite files, and reads them back after a restart', async () => {
    const rig = await authRig(h.emu);
    const g = await grant();
    await rig.vault.save(identity(), g);
    await rig.store.close();
    const files = readdirSync(rig.dir).map((f) => readFileSync(join(rig.dir, f)));
    const bytes = Buffer.concat(files);
    expect(bytes.length).toBeGreaterThan(0);
    for (const secret of [g.access_token, g.refresh_token!, user().enterprise_email]) {
      expect(bytes.includes(Buffer.from(secret))).toBe(false);
    }
    expect(bytes.includes(Buffer.from(`auth:tokens:${user().open_id}`))).toBe(true);

    rig.store = await openStore(parseConfig({}, { LOG_LEVEL: 'silent' }), rig.dir);
    const reopened = new TokenVault({ kv: rig.store, key: rig.key, http: rig.http, now: () => rig.clock.now });
    expect(await reopened.accessToken(user().open_id)).toBe(g.access_token);
    const wrongKey = new TokenVault({ kv: rig.store, key: randomBytes(32), http: rig.http });
    expect((await needsSignIn(wrongKey.accessToken(user().open_id))).reason).toBe('unreadable');
  });

  it('will not open a sealed record copied to another user', async () => {
    const rig = await authRig(h.emu);
    await rig.vault.save(identity(), await grant());
    const sealed = await rig.store.get(`auth:tokens:${user().open_id}`);
    expect(sealed).toMatch(/^v1\./);
    await rig.store.set('auth:tokens:ou_attacker', sealed!, 60_000);
    expect(await rig.vault.status('ou_attacker')).toEqual({ signedIn: false });
    expect((await needsSignIn(rig.vault.accessToken('ou_attacker'))).reason).toBe('unreadable');
  });

  it('refreshes ahead of expiry once for concurrent callers, and the new token works', async () => {
    const rig = await authRig(h.emu);
    const g = await grant();
    await rig.vault.save(identity(), g);
    expect(await rig.vault.accessToken(user().open_id)).toBe(g.access_token);
    rig.clock.now += g.expires_in * 1000 - REFRESH_AHEAD_MS + 1;
    const tokens = await Promise.all(Array.from({ length: 5 }, () => rig.vault.accessToken(user().open_id)));
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toBe(g.access_token);
    expect(await tokenCalls(h.emu, 'refresh_token')).toHaveLength(1);
    const info = await h.client.authen.v1.userInfo.get({}, lark.withUserAccessToken(tokens[0]!));
    expect(info.data?.open_id).toBe(user().open_id);
  });

  it('shares one forced refresh among callers that saw the same token refused', async () => {
    const rig = await authRig(h.emu);
    const g = await grant();
    await rig.vault.save(identity(), g);
    const [a, b] = await Promise.all([
      rig.vault.refresh(user().open_id, g.access_token),
      rig.vault.refresh(user().open_id, g.access_token),
    ]);
    expect(a).toBe(b);
    expect(a).not.toBe(g.access_token);
    expect(await tokenCalls(h.emu, 'refresh_token')).toHaveLength(1);
  });

  it('answers NeedsSignIn, and forgets the session, when the refresh token was already used', async () => {
    const rig = await authRig(h.emu);
    const g = await grant();
    await rig.vault.save(identity(), g);
    // Someone else (a stale copy, another process) spends the single-use refresh token first.
    expect(await rig.http.token({ grant_type: 'refresh_token', refresh_token: g.refresh_token! })).toMatchObject({
      ok: true,
    });
    const e = await needsSignIn(rig.vault.refresh(user().open_id));
    expect(e).toMatchObject({ reason: 'refresh_rejected', openId: user().open_id });
    expect(e.message).toContain('20073');
    expect(await rig.vault.status(user().open_id)).toEqual({ signedIn: false });
  });

  it('answers NeedsSignIn for a user never signed in and for a lapsed session without a refresh token', async () => {
    const rig = await authRig(h.emu);
    expect((await needsSignIn(rig.vault.accessToken('ou_nobody'))).reason).toBe('not_signed_in');
    const g = await grant('mail:user_mailbox.message:send');
    expect(g.refresh_token).toBeUndefined();
    await rig.vault.save(identity(), g);
    rig.clock.now += g.expires_in * 1000;
    expect((await needsSignIn(rig.vault.accessToken(user().open_id))).reason).toBe('session_expired');
    expect(await tokenCalls(h.emu, 'refresh_token')).toHaveLength(0);
  });

  it('keeps the session through a token endpoint outage: the current token while it lasts, then a retriable error', async () => {
    const rig = await authRig(h.emu);
    const g = await grant();
    await rig.vault.save(identity(), g);
    await control(h.emu, 'faults', { pathPrefix: '/open-apis/authen/v2/oauth/token', code: 20050 });
    rig.clock.now += g.expires_in * 1000 - 60_000;
    expect(await rig.vault.accessToken(user().open_id)).toBe(g.access_token);
    rig.clock.now += 60_000;
    await expect(rig.vault.accessToken(user().open_id)).rejects.toBeInstanceOf(TokenServiceUnavailable);
  });

  it('reports who is signed in until when, and forgets on logout', async () => {
    const rig = await authRig(h.emu);
    const g = await grant();
    await rig.vault.save(identity(), g);
    expect(await rig.vault.status(user().open_id)).toEqual({
      signedIn: true,
      openId: user().open_id,
      name: user().name,
      mailbox: user().enterprise_email,
      scopes: ['offline_access', 'mail:user_mailbox.message:send'],
      signedInAt: rig.clock.now,
      until: rig.clock.now + g.refresh_token_expires_in! * 1000,
    });
    await rig.vault.forget(user().open_id);
    expect(await rig.vault.status(user().open_id)).toEqual({ signedIn: false });
    expect((await needsSignIn(rig.vault.accessToken(user().open_id))).reason).toBe('not_signed_in');
  });
});

describe('InProcessLock', () => {
  it('runs one task at a time per key, in order, and keys independently', async () => {
    const lock = new InProcessLock();
    const log: string[] = [];
    const task = (key: string, name: string, ms: number) =>
      lock.run(key, async () => {
        log.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`end ${name}`);
        return name;
      });
    const results = await Promise.all([task('u1', 'a', 30), task('u1', 'b', 0), task('u2', 'c', 0)]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(log.indexOf('end a')).toBeLessThan(log.indexOf('start b'));
    expect(log.indexOf('start c')).toBeLessThan(log.indexOf('end a'));
    await expect(lock.run('u1', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await lock.run('u1', async () => 'after a failure')).toBe('after a failure');
  });
});
