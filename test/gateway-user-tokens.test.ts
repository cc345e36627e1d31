/**
 * Calls as a user: the client asks the UserTokenProvider for the user's token, and when Feishu refuses it as
 * invalid (99991668) or expired (99991677) asks for a fresh one once, then tries again. A stand-in provider backed
 * by the emulator's token state plays the vault; the calls go to the emulator over HTTP through the official SDK.
 */
import { describe, expect, it, vi } from 'vitest';
import { NOT_SIGNED_IN } from '../src/feishu/errors.js';
import { createFeishu } from '../src/feishu/index.js';
import { asUser } from '../src/feishu/ports.js';
import { USER_TOKEN_TTL_S } from '../src/emulator/state.js';
import { control, feishuRejection as rejection, useEmulator } from './helpers/emulator.js';
import { EmulatorUserTokens } from './helpers/user-tokens.js';

const h = useEmulator();

const lina = () => h.emu.state.users.find((u) => u.enterprise_email.startsWith('lina@'))!;
const contactsPath = () => `/open-apis/mail/v1/user_mailboxes/${lina().enterprise_email}/mail_contacts`;
const calls = async () =>
  (await control(h.emu, `calls?path=${encodeURIComponent(contactsPath())}`)).calls as {
    caller: string;
    code?: number;
  }[];

function setup(withProvider = true) {
  const tokens = new EmulatorUserTokens(h.emu);
  const gw = createFeishu({
    appId: h.emu.state.app.appId,
    appSecret: h.emu.state.app.appSecret,
    domain: h.emu.url,
    sleep: async () => {},
    ...(withProvider ? { userTokens: tokens } : {}),
  });
  return { gw, tokens, list: () => gw.mailbox.listContacts(lina().enterprise_email, { as: asUser(lina().open_id) }) };
}

describe('calls as a user', () => {
  it("carries the user's own token", async () => {
    const { list, tokens } = setup();
    await expect(list()).resolves.toEqual([]);
    expect((await calls()).map((c) => [c.caller, c.code])).toEqual([[`user:${lina().open_id}`, 0]]);
    expect(tokens.refreshes).toEqual([]);
  });

  it('refreshes a token Feishu does not know (99991668) once, and retries with the new one', async () => {
    const { list, tokens } = setup();
    tokens.hold(lina().open_id, 'u-revokedrevokedrevokedrevoked');
    await expect(list()).resolves.toEqual([]);
    expect((await calls()).map((c) => c.code)).toEqual([99991668, 0]);
    expect(tokens.refreshes).toEqual([{ openId: lina().open_id, rejected: 'u-revokedrevokedrevokedrevoked' }]);
  });

  it('refreshes an expired token (99991677) once, and retries with the new one', async () => {
    const { list, tokens } = setup();
    await list();
    await control(h.emu, 'time', { advanceSeconds: USER_TOKEN_TTL_S + 60 });
    await expect(list()).resolves.toEqual([]);
    expect((await calls()).map((c) => c.code)).toEqual([0, 99991677, 0]);
    expect(tokens.refreshes).toHaveLength(1);
  });

  it('shares one refresh between calls refused while it runs (a refresh token works only once)', async () => {
    const { list, tokens } = setup();
    tokens.hold(lina().open_id, 'u-revokedrevokedrevokedrevoked');
    let release!: () => void;
    tokens.refreshGate = new Promise((r) => (release = r));
    const both = Promise.all([list(), list()]);
    await vi.waitFor(async () => expect((await calls()).map((c) => c.code)).toEqual([99991668, 99991668]));
    release();
    await expect(both).resolves.toEqual([[], []]);
    expect(tokens.refreshes).toHaveLength(1);
    expect((await calls()).map((c) => c.code)).toEqual([99991668, 99991668, 0, 0]);
  });

  it('refreshes only once when the new token is refused too, and reports that the user must sign in again', async () => {
    const { list, tokens } = setup();
    await control(h.emu, 'faults', { pathPrefix: contactsPath(), code: 99991677 });
    const e = await rejection(list());
    expect(e).toMatchObject({ code: 99991677, kind: 'needs_sign_in', retryable: false });
    expect(await calls()).toHaveLength(2);
    expect(tokens.refreshes).toHaveLength(1);
  });

  it('fails as "not signed in" when the refresh finds no usable sign-in, without calling again', async () => {
    const { list, tokens } = setup();
    tokens.hold(lina().open_id, 'u-revokedrevokedrevokedrevoked');
    tokens.refreshFails = true;
    const e = await rejection(list());
    expect(e).toMatchObject({ code: NOT_SIGNED_IN, kind: 'needs_sign_in', endpoint: 'mail.contact.list' });
    expect(await calls()).toHaveLength(1);
  });

  it('fails as "not signed in" before any call when there is no token provider', async () => {
    const { list } = setup(false);
    const e = await rejection(list());
    expect(e).toMatchObject({ code: NOT_SIGNED_IN, kind: 'needs_sign_in' });
    expect(e.explain().nextStep.en_us).toContain('Authorise');
    expect(await calls()).toEqual([]);
  });

  it('does not ask the user token provider on a tenant call refused with a tenant token code', async () => {
    const { gw, tokens } = setup();
    await control(h.emu, 'faults', { pathPrefix: contactsPath(), code: 99991663, count: 1 });
    await expect(gw.mailbox.listContacts(lina().enterprise_email)).resolves.toEqual([]);
    expect((await calls()).map((c) => c.code)).toEqual([99991663, 0]);
    expect((await calls()).at(-1)?.caller).toMatch(/^app:/);
    expect(tokens.refreshes).toEqual([]);
  });
});
