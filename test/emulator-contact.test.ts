import { describe, expect, it } from 'vitest';
import type { Emulator } from '../src/emulator/index.js';
import { rejection as sdkRejection, useEmulator } from './helpers/emulator.js';

const h = useEmulator();

const find = (pred: (u: Emulator['state']['users'][number]) => boolean) => h.emu.state.users.find(pred)!;
const lina = () => find((u) => u.en_name === 'Li Na');

/** Just the status and code, so tests can compare them with toEqual. */
const rejection = async (p: Promise<unknown>) => {
  const { status, code } = await sdkRejection(p);
  return { status, code };
};

describe('contact user get', () => {
  it('returns the user by open_id, union_id or user_id with names, email, mobile, department and leader', async () => {
    const u = lina();
    for (const [type, id] of [
      ['open_id', u.open_id],
      ['union_id', u.union_id],
      ['user_id', u.user_id],
    ] as const) {
      const res = await h.client.contact.v3.user.get({ path: { user_id: id }, params: { user_id_type: type } });
      expect(res.data?.user).toMatchObject({
        open_id: u.open_id,
        union_id: u.union_id,
        user_id: u.user_id,
        name: '李娜',
        en_name: 'Li Na',
        email: u.email,
        enterprise_email: `lina@${h.emu.state.app.mailDomain}`,
        mobile: u.mobile,
        department_ids: u.department_ids,
        leader_user_id: find((x) => x.en_name === 'Zhang Wei').user_id,
        status: { is_resigned: false, is_activated: true },
      });
    }
  });

  it('shows a resigned user as resigned', async () => {
    const res = await h.client.contact.v3.user.get({ path: { user_id: find((u) => u.resigned).open_id } });
    expect(res.data?.user?.status).toMatchObject({ is_resigned: true, is_activated: false });
  });

  it('answers 41050 for users outside the contact scope, of another tenant, or unknown', async () => {
    for (const id of [
      find((u) => u.invisible).open_id,
      find((u) => u.tenant_key !== h.emu.state.app.tenantKey).open_id,
      'ou_nobody',
    ]) {
      expect(await rejection(h.client.contact.v3.user.get({ path: { user_id: id } }))).toEqual({
        status: 400,
        code: 41050,
      });
    }
  });
});

describe('contact batch_get_id', () => {
  it('returns one entry per email and mobile, with user_id only for visible active users', async () => {
    const u = lina();
    const resigned = find((x) => x.resigned);
    const res = await h.client.contact.v3.user.batchGetId({
      params: { user_id_type: 'open_id' },
      data: {
        emails: [u.email, u.enterprise_email, resigned.email, 'ghost@example.com'],
        mobiles: [u.mobile.replace('+86', '')],
      },
    });
    expect(res.data?.user_list).toEqual([
      { user_id: u.open_id, email: u.email, status: expect.objectContaining({ is_resigned: false }) },
      { email: u.enterprise_email }, // enterprise addresses are not supported by this API
      { email: resigned.email },
      { email: 'ghost@example.com' },
      {
        user_id: u.open_id,
        mobile: u.mobile.replace('+86', ''),
        status: expect.objectContaining({ is_activated: true }),
      },
    ]);
  });

  it('includes resigned users when asked and answers in the requested id type', async () => {
    const resigned = find((x) => x.resigned);
    const res = await h.client.contact.v3.user.batchGetId({
      params: { user_id_type: 'user_id' },
      data: { emails: [resigned.email], include_resigned: true },
    });
    expect(res.data?.user_list?.[0]).toMatchObject({ user_id: resigned.user_id, status: { is_resigned: true } });
  });

  it('rejects more than 50 emails', async () => {
    const res = await rejection(
      h.client.contact.v3.user.batchGetId({
        data: { emails: Array.from({ length: 51 }, (_, i) => `u${i}@example.com`) },
      }),
    );
    expect(res).toEqual({ status: 400, code: 99992402 });
  });
});
