/**
 * Every error code of Feishu "创建群", reached through the SDK: by the input that triggers it where the
 * emulator models the rule, otherwise by fault injection. Each must carry the documented HTTP status and message.
 */
import type * as lark from '@larksuiteoapi/node-sdk';
import { describe, expect, it } from 'vitest';
import { DOC_CODES } from '../src/emulator/codes.js';
import type { Emulator } from '../src/emulator/index.js';
import { control, rejection, useEmulator } from './helpers/emulator.js';

const h = useEmulator();

type CreateArgs = Parameters<lark.Client['im']['v1']['chat']['create']>[0];
const create = (data: NonNullable<CreateArgs>['data'] = {}, params: NonNullable<CreateArgs>['params'] = {}) =>
  h.client.im.v1.chat.create({ params: { user_id_type: 'open_id', ...params }, data });

const user = (pred: (u: Emulator['state']['users'][number]) => boolean) => h.emu.state.users.find(pred)!;
const active = () => user((u) => !u.resigned && !u.invisible && u.tenant_key === h.emu.state.app.tenantKey);
const outsider = () => user((u) => u.tenant_key !== h.emu.state.app.tenantKey);

/** Calls concurrently and returns the one rejection. */
async function oneOfTwoRejects(make: () => Promise<unknown>): Promise<unknown> {
  const results = await Promise.allSettled([make(), make()]);
  const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  expect(rejected).toHaveLength(1);
  throw rejected[0]!.reason;
}

type Trigger = { how: 'input'; what: string; call: () => Promise<unknown> } | { how: 'fault'; why: string };

const TRIGGERS: Record<number, Trigger> = {
  232001: {
    how: 'input',
    what: '51 users in user_id_list',
    call: () => create({ user_id_list: Array.from({ length: 51 }, (_, i) => `ou_${i}`) }),
  },
  232004: { how: 'fault', why: 'the operator app always exists: its token is verified' },
  232019: {
    how: 'input',
    what: 'two concurrent member adds to one chat (the chat-level throttle)',
    call: async () => {
      const chatId = (await create()).data!.chat_id!;
      return oneOfTwoRejects(() =>
        h.client.im.v1.chatMembers.create({
          path: { chat_id: chatId },
          params: { member_id_type: 'open_id' },
          data: { id_list: [active().open_id] },
        }),
      );
    },
  },
  232020: { how: 'input', what: 'public chat named "a"', call: () => create({ chat_type: 'public', name: 'a' }) },
  232021: {
    how: 'input',
    what: 'an unknown bot app_id',
    call: () => create({ bot_id_list: ['cli_0000000000000000'] }),
  },
  232022: {
    how: 'input',
    what: 'a resigned user',
    call: () => create({ user_id_list: [user((u) => u.resigned).open_id] }),
  },
  232023: { how: 'input', what: 'a blocked word in the name', call: () => create({ name: '违禁词 group' }) },
  232025: { how: 'fault', why: 'the emulated app always has the bot capability' },
  232030: { how: 'input', what: 'an owner_id that is no user', call: () => create({ owner_id: 'ou_nobody' }) },
  232032: { how: 'input', what: 'an owner from another tenant', call: () => create({ owner_id: outsider().open_id }) },
  232033: {
    how: 'input',
    what: 'a user of another tenant in a private chat',
    call: () => create({ user_id_list: [outsider().open_id] }),
  },
  232034: { how: 'fault', why: 'the emulated app is always installed' },
  232037: { how: 'fault', why: 'the create body has no label field to trigger it' },
  232042: { how: 'input', what: 'a public chat without a name', call: () => create({ chat_type: 'public' }) },
  232043: { how: 'input', what: 'an unknown id in user_id_list', call: () => create({ user_id_list: ['ou_nobody'] }) },
  232057: {
    how: 'input',
    what: 'restricted mode on',
    call: () => create({ restricted_mode_setting: { status: true, screenshot_has_permission_setting: 'not_anyone' } }),
  },
  232068: {
    how: 'input',
    what: 'two concurrent creates with one uuid',
    call: () => oneOfTwoRejects(() => create({}, { uuid: 'same-uuid' })),
  },
  232069: {
    how: 'input',
    what: 'a public chat with a user of another tenant',
    call: () => create({ chat_type: 'public', name: 'Partners', user_id_list: [outsider().open_id] }),
  },
  232078: {
    how: 'input',
    what: 'hide_member_count_setting only_owner (tenant not licensed)',
    call: () => create({ hide_member_count_setting: 'only_owner' }),
  },
  232079: {
    how: 'input',
    what: 'hide_member_count_setting on a public chat',
    call: () => create({ chat_type: 'public', name: '公开群 Public', hide_member_count_setting: 'only_owner' }),
  },
  232091: { how: 'fault', why: 'the tenant policy on public chats is not modelled' },
  232095: { how: 'fault', why: 'ocic chats are not modelled' },
};

const pageCodes = DOC_CODES.filter((c) => c.page === 'im-chat-create');

describe('im-chat-create error codes', () => {
  it('has a trigger for every code in the page', () => {
    expect(Object.keys(TRIGGERS).map(Number).sort()).toEqual(pageCodes.map((c) => c.code).sort());
  });

  for (const doc of pageCodes) {
    const trigger = TRIGGERS[doc.code]!;
    const how = trigger.how === 'input' ? `by ${trigger.what}` : `by fault injection (${trigger.why})`;
    it(`reaches ${doc.code} ${how} with HTTP ${doc.httpStatus}`, async () => {
      let call: Promise<unknown>;
      if (trigger.how === 'input') call = trigger.call();
      else {
        await control(h.emu, 'faults', { pathPrefix: '/open-apis/im/v1/chats', code: doc.code, count: 1 });
        call = create({ name: '正常 Normal' });
      }
      const res = await rejection<{ code: number; msg: string; error: { log_id: string } }>(call);
      expect(res.status).toBe(doc.httpStatus);
      expect(res.data.code).toBe(doc.code);
      expect(res.data.msg).toBe(doc.msg);
      expect(res.data.error.log_id).toMatch(/^\d{14}[0-9A-F]{20}$/);
      const last = h.emu.kit.calls.filter((c) => c.code === doc.code).at(-1)!;
      expect(last.fault).toBe(trigger.how === 'fault');
    });
  }
});
