import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { escapeMd, successCard } from '../cards/index.js';
import { defineAction } from '../src/actions.js';
import { App, type ActionHandler } from '../src/app.js';
import { msg } from '../src/commands/spec.js';
import { parseConfig } from '../src/config.js';
import type { Sender } from '../src/context.js';
import type { Delivery } from '../src/delivery.js';
import { explainCode, FeishuError } from '../src/feishu/errors.js';
import { LOCALES, t } from '../src/i18n.js';
import { once } from '../src/effects/once.js';
import { audited } from '../src/middleware/audited.js';
import { recover } from '../src/middleware/error-boundary.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { probeDone, probeSpec } from './helpers/probe-command.js';
import { RecordingGateway } from './helpers/recording-gateway.js';

const ADMIN = 'ou_admin0001';
const OPS = 'ou_ops0001';
const STRANGER = 'ou_stranger01';
const ZHANG = 'ou_zhangwei01';

const config = parseConfig(
  {
    admins: [ADMIN],
    roles: { ops: [OPS] },
    commands: { 'group create': { allow: ['role:ops'] } },
    menu: { help: '/help', mk: '/group create 菜单群' },
  },
  {},
);

let dir: string;
let store: SqliteStore;
let gw: RecordingGateway;
let seq = 0;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'app-test-'));
  store = new SqliteStore(join(dir, 'bot.sqlite'));
  gw = new RecordingGateway();
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const sees = (text: string) => escapeMd(text);

function makeApp(opts: { cardBudgetMs?: number } = {}) {
  return new App({ config, gateway: gw, store, reference: () => 'ref0c0ffee', ...opts });
}

function delivery(type: string, event: Record<string, unknown>): Delivery {
  const id = `ev_${++seq}`;
  return {
    kind: 'event',
    type,
    id,
    dedupeKey: id,
    payload: { schema: '2.0', header: { event_id: id, event_type: type }, event },
    receivedAt: 0,
  };
}

function message(
  text: string,
  o: {
    from?: string;
    senderType?: string;
    chatType?: 'p2p' | 'group';
    messageType?: string;
    mentions?: unknown[];
  } = {},
) {
  return delivery('im.message.receive_v1', {
    sender: { sender_id: { open_id: o.from ?? OPS, union_id: 'on_x' }, sender_type: o.senderType ?? 'user' },
    message: {
      message_id: `om_${seq + 1}`,
      chat_id: 'oc_chat1',
      chat_type: o.chatType ?? 'group',
      message_type: o.messageType ?? 'text',
      content: JSON.stringify(o.messageType && o.messageType !== 'text' ? { image_key: 'img_1' } : { text }),
      mentions: o.mentions ?? [
        { key: '@_user_1', id: { open_id: gw.bot.openId }, name: 'Ops Bot' },
        { key: '@_user_2', id: { open_id: ZHANG }, name: '张伟' },
      ],
    },
  });
}

const groupArgs = z.object({
  name: z.string().min(1).describe(msg('group.args.name')),
  members: z.array(z.object({ openId: z.string(), name: z.string() })).optional(),
  size: z.coerce.number().int().min(2).optional(),
  public: z.boolean().optional(),
});

function withGroupCommand(app: App, handler: (args: z.infer<typeof groupArgs>) => Promise<void> = async () => {}) {
  return app.command(
    'group create',
    {
      summary: { zh_cn: '创建群聊', en_us: 'Create a group chat', ja_jp: 'グループチャットを作成' },
      usage: '/group create <name> [@成员…] [size=N] [--public]',
      examples: ['/group create 项目群 --public'],
      args: groupArgs,
      positionals: ['name'],
      mentions: 'members',
    },
    async (ctx, args) => {
      await handler(args);
      await ctx.reply(
        successCard({
          title: { zh_cn: `已创建 ${args.name}`, en_us: `Created ${args.name}`, ja_jp: `${args.name} を作成しました` },
        }),
      );
    },
  );
}

describe('app: commands', () => {
  it('runs a registered command with typed args and replies to the message', async () => {
    const seen: unknown[] = [];
    const app = withGroupCommand(makeApp(), async (args) => void seen.push(args));
    const d = message('@_user_1 /group create “Q3 规划” @_user_2 size=8 --public');
    await app.handleEvent(d);
    expect(seen).toEqual([{ name: 'Q3 规划', members: [{ openId: ZHANG, name: '张伟' }], size: 8, public: true }]);
    expect(gw.calls).toHaveLength(1);
    expect(gw.calls[0]).toMatchObject({
      method: 'replyCard',
      messageId: (d.payload.event as { message: { message_id: string } }).message.message_id,
    });
    expect(gw.cardText()).toContain(sees('已创建 Q3 规划'));
  });

  it('posts with the same uuid when the same event is delivered again', async () => {
    const app = withGroupCommand(makeApp());
    const d = message('/group create 项目群');
    await app.handleEvent(d);
    await app.handleEvent(d);
    const uuids = gw.calls.map((c) => ('uuid' in c ? c.uuid : undefined));
    expect(uuids).toHaveLength(2);
    expect(uuids[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(uuids[1]).toBe(uuids[0]);
  });

  it('answers an invalid command with every problem, the usage and a correct example', async () => {
    let ran = false;
    const app = withGroupCommand(makeApp(), async () => void (ran = true));
    await app.handleEvent(message('/group create size=1 colour=red'));
    expect(ran).toBe(false);
    const card = gw.cardText();
    expect(card).toContain(sees('name: 必填（群名称）'));
    expect(card).toContain(sees('name: is required (chat name)'));
    expect(card).toContain(sees('unknown option'));
    expect(card).toContain(sees('size:'));
    expect(card).toContain(sees('Usage: /group create <name> [@成员…] [size=N] [--public]'));
    expect(card).toContain('/group create 项目群 --public');
  });

  it('suggests the closest command for a typo', async () => {
    const app = withGroupCommand(makeApp());
    await app.handleEvent(message('@_user_1 /gruop create 项目群'));
    expect(gw.cardText()).toContain(sees('Did you mean: /group'));
    await app.handleEvent(message('/group crate 项目群'));
    expect(gw.cardText()).toContain(sees('Did you mean: /group create'));
  });

  it('suggests the whole corrected line for a typo, arguments, mentions, options and flags kept', async () => {
    const app = withGroupCommand(makeApp());
    await app.handleEvent(message('@_user_1 /gruop create "Ops 值班" @_user_2 size=3 --public'));
    // cardText is the card's JSON: quotes in it are escaped.
    expect(gw.cardText()).toContain(
      JSON.stringify(sees('Did you mean: /group create "Ops 值班" @张伟 size=3 --public')).slice(1, -1),
    );
    await app.handleEvent(message('/group crate 项目群 @_user_2'));
    const card = gw.cardText();
    expect(card).toContain(sees('你是不是想输入：/group create 项目群 @张伟'));
    // The copyable example is the corrected line too.
    expect(card).toContain(JSON.stringify('```\n/group create 项目群 @张伟\n```').slice(1, -1));
  });

  it('refuses a user outside the allowed role with a card saying who may run it and whom to ask', async () => {
    let ran = false;
    const app = withGroupCommand(makeApp(), async () => void (ran = true));
    await app.handleEvent(message('/group create 项目群', { from: STRANGER }));
    expect(ran).toBe(false);
    const card = gw.cardText();
    expect(card).toContain(sees('只有角色 ops 的成员可以运行 /group create'));
    expect(card).toContain(sees(`ask an admin: ${ADMIN}`));
    expect(await store.auditLog()).toMatchObject([
      { actor: STRANGER, action: 'command.refused', target: 'group create', result: 'refused' },
    ]);
  });

  it('lets admins run role-restricted commands', async () => {
    let ran = false;
    const app = withGroupCommand(makeApp(), async () => void (ran = true));
    await app.handleEvent(message('/group create 项目群', { from: ADMIN }));
    expect(ran).toBe(true);
  });

  it('turns a throwing handler into an error card with a reference id, without rejecting', async () => {
    const app = withGroupCommand(makeApp(), async () => {
      throw new Error('boom');
    });
    await expect(app.handleEvent(message('/group create 项目群'))).resolves.toBeUndefined();
    expect(gw.calls).toHaveLength(1);
    expect(gw.cardText()).toContain('ref0c0ffee');
    expect(await store.auditLog()).toMatchObject([
      { action: 'group create', result: 'error', detail: 'reference ref0c0ffee' },
    ]);
  });

  it('explains a FeishuError with its next step', async () => {
    const app = withGroupCommand(makeApp(), async () => {
      throw new FeishuError({ code: 99991401, msg: 'ip not allowed', endpoint: 'im.chat.create', httpStatus: 400 });
    });
    await app.handleEvent(message('/group create 项目群'));
    const { problem, nextStep } = explainCode(99991401);
    expect(gw.cardText()).toContain(sees(problem.zh_cn));
    expect(gw.cardText()).toContain(sees(nextStep.en_us));
    expect(gw.cardText()).toContain(sees(nextStep.ja_jp));
  });

  it('ignores messages from itself and from other bots', async () => {
    let ran = 0;
    const app = withGroupCommand(makeApp(), async () => void ran++);
    await app.handleEvent(message('/group create 项目群', { from: gw.bot.openId }));
    await app.handleEvent(message('/group create 项目群', { from: 'ou_otherbot', senderType: 'app' }));
    expect(ran).toBe(0);
    expect(gw.calls).toEqual([]);
  });

  it('answers /help from the registered specs, and /help <command> in detail', async () => {
    const app = withGroupCommand(makeApp());
    await app.handleEvent(message('/help'));
    expect(gw.cardText()).toContain(sees('/group create <name> [@成员…] [size=N] [--public]'));
    expect(gw.cardText()).toContain(sees('/help [command] [subcommand]'));
    for (const locale of LOCALES) expect(gw.cardText()).toContain(t('commands.help.summary')[locale]);
    await app.handleEvent(message('/help group create'));
    expect(gw.cardText()).toContain(sees('<name> (required): chat name'));
    expect(gw.cardText()).toContain(sees('<name>（必填）：群名称'));
    expect(app.exampleProblems()).toEqual([]);
  });

  it('hints in p2p and when mentioned, stays quiet on group chatter and non-text it was not asked about', async () => {
    const app = makeApp();
    await app.handleEvent(message('早上好', { chatType: 'group', mentions: [] }));
    await app.handleEvent(message('', { chatType: 'group', messageType: 'image', mentions: [] }));
    expect(gw.calls).toEqual([]);
    await app.handleEvent(message('早上好', { chatType: 'p2p', mentions: [] }));
    await app.handleEvent(message('@_user_1 早上好'));
    await app.handleEvent(message('', { chatType: 'p2p', messageType: 'image', mentions: [] }));
    expect(gw.calls.map((c) => c.method)).toEqual(['replyCard', 'replyCard', 'replyCard']);
    expect(gw.cardText()).toContain('/help');
  });

  it("answers a command given without its subcommand with that command's help", async () => {
    const app = withGroupCommand(makeApp());
    await app.handleEvent(message('/group'));
    expect(gw.cardText()).toContain(sees('/group create <name>'));
  });

  it('leaves an unknown /command in a group alone unless the bot is mentioned', async () => {
    const app = withGroupCommand(makeApp());
    await app.handleEvent(message('/shrug', { mentions: [] }));
    expect(gw.calls).toEqual([]);
    await app.handleEvent(message('/shrug', { chatType: 'p2p', mentions: [] }));
    expect(gw.cardText()).toContain(sees('There is no command /shrug'));
  });

  it('answers an unclosed quote with what is wrong', async () => {
    await makeApp().handleEvent(message('/group create “项目群'));
    expect(gw.cardText()).toContain(sees('is not closed: add ”'));
  });
});

describe('app: other events', () => {
  it('posts a welcome card listing the commands when added to a chat', async () => {
    const app = withGroupCommand(makeApp());
    await app.handleEvent(
      delivery('im.chat.member.bot.added_v1', { chat_id: 'oc_new', operator_id: { open_id: OPS }, name: '新群' }),
    );
    expect(gw.calls).toMatchObject([{ method: 'sendCard', to: { chatId: 'oc_new' } }]);
    expect(gw.cardText()).toContain(sees(gw.bot.name));
    expect(gw.cardText()).toContain(sees('/group create <name>'));
  });

  it('runs the menu command as the operator typing it, answering privately', async () => {
    const seen: unknown[] = [];
    const app = withGroupCommand(makeApp(), async (args) => void seen.push(args));
    await app.handleEvent(
      delivery('application.bot.menu_v6', {
        operator: { operator_id: { open_id: OPS }, operator_name: '运维' },
        event_key: 'mk',
      }),
    );
    expect(seen).toEqual([{ name: '菜单群' }]);
    expect(gw.calls).toMatchObject([{ method: 'sendCard', to: { openId: OPS } }]);
    // authorization applies to menu commands too
    await app.handleEvent(
      delivery('application.bot.menu_v6', { operator: { operator_id: { open_id: STRANGER } }, event_key: 'mk' }),
    );
    expect(seen).toHaveLength(1);
    expect(gw.cardText()).toContain(sees('Not allowed'));
  });

  it('tells the operator when a menu item has no command', async () => {
    await makeApp().handleEvent(
      delivery('application.bot.menu_v6', { operator: { operator_id: { open_id: OPS } }, event_key: 'nope' }),
    );
    expect(gw.calls).toMatchObject([{ method: 'sendCard', to: { openId: OPS } }]);
    expect(gw.cardText()).toContain(sees('Menu item nope has no command'));
  });

  it('routes other events to app.event handlers with the event body', async () => {
    const seen: unknown[] = [];
    const app = makeApp().event(
      'contact.user.created_v3',
      async (ctx, event) => void seen.push([ctx.eventType, event]),
    );
    await app.handleEvent(delivery('contact.user.created_v3', { object: { open_id: 'ou_new', name: '张三' } }));
    expect(seen).toEqual([['contact.user.created_v3', { object: { open_id: 'ou_new', name: '张三' } }]]);
  });

  it('tells the admins, with a reference, when an event handler with nobody to answer fails', async () => {
    const app = makeApp().event('contact.user.created_v3', async () => {
      throw new Error('directory down');
    });
    await expect(
      app.handleEvent(delivery('contact.user.created_v3', { object: { open_id: 'ou_new' } })),
    ).resolves.toBeUndefined();
    expect(gw.calls).toMatchObject([{ method: 'sendCard', to: { openId: ADMIN } }]);
    expect(gw.cardText()).toContain('ref0c0ffee');
  });

  it('runs app.use middleware around handlers, koa-style', async () => {
    const order: string[] = [];
    const app = makeApp()
      .use(async (ctx, next) => {
        order.push(`before ${ctx.eventType}`);
        await next();
        order.push('after');
      })
      .event('contact.user.created_v3', async () => void order.push('handler'));
    await app.handleEvent(delivery('contact.user.created_v3', { object: { open_id: 'ou_new' } }));
    expect(order).toEqual(['before contact.user.created_v3', 'handler', 'after']);
  });
});

describe('app.run: a command line run as a user', () => {
  const origin = (dedupeKey: string) => ({ id: 'wf_1', type: 'onboarding.step', dedupeKey });

  it('refuses a user the config does not allow, answering them privately, without running the handler', async () => {
    let ran = false;
    const app = withGroupCommand(makeApp(), async () => void (ran = true));
    expect(await app.run('/group create 入职群', { openId: STRANGER }, origin('wf_1/s1'))).toBe('refused');
    expect(ran).toBe(false);
    expect(gw.calls).toMatchObject([{ method: 'sendCard', to: { openId: STRANGER } }]);
    expect(gw.cardText()).toContain(sees('Only members of role ops may run /group create'));
    expect(await store.auditLog()).toMatchObject([
      { actor: STRANGER, action: 'command.refused', target: 'group create' },
    ]);
  });

  it('runs an allowed command with typed args and answers in the chat it names, or privately without one', async () => {
    const seen: unknown[] = [];
    const app = withGroupCommand(makeApp(), async (args) => void seen.push(args));
    expect(
      await app.run(
        '/group create 入职群 --public',
        { openId: OPS, name: '运维', chatId: 'oc_team' },
        origin('wf_1/s1'),
      ),
    ).toBe('ok');
    expect(await app.run('/group create 私聊群', { openId: OPS }, origin('wf_1/s2'))).toBe('ok');
    expect(seen).toEqual([{ name: '入职群', public: true }, { name: '私聊群' }]);
    expect(gw.calls).toMatchObject([
      { method: 'sendCard', to: { chatId: 'oc_team' } },
      { method: 'sendCard', to: { openId: OPS } },
    ]);
  });

  it('answers an invalid line with the problems, as a typed message would be', async () => {
    const app = withGroupCommand(makeApp());
    expect(await app.run('/group create size=1', { openId: OPS }, origin('wf_1/s1'))).toBe('invalid');
    expect(gw.cardText()).toContain(sees('name: is required (chat name)'));
  });

  it('derives reply uuids from the origin: the same origin posts under the same uuid, another origin under a new one', async () => {
    const app = withGroupCommand(makeApp());
    await app.run('/group create 入职群', { openId: OPS }, origin('wf_1/s1'));
    await app.run('/group create 入职群', { openId: OPS }, origin('wf_1/s1'));
    await app.run('/group create 入职群', { openId: OPS }, origin('wf_2/s1'));
    const uuids = gw.calls.map((c) => ('uuid' in c ? c.uuid : undefined));
    expect(uuids[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(uuids[1]).toBe(uuids[0]);
    expect(uuids[2]).not.toBe(uuids[0]);
  });

  it("gives the menu's run its own uuids, apart from the menu event's", async () => {
    const app = withGroupCommand(makeApp());
    await app.handleEvent(
      delivery('application.bot.menu_v6', { operator: { operator_id: { open_id: OPS } }, event_key: 'mk' }),
    );
    await app.run('/group create 菜单群', { openId: OPS }, origin('ev_other'));
    const [menu, other] = gw.calls.map((c) => ('uuid' in c ? c.uuid : undefined));
    expect(menu).toMatch(/^[0-9a-f]{32}$/);
    expect(other).not.toBe(menu);
  });
});

describe('app: typed events', () => {
  it('hands a handler the event parsed by its schema, extra fields kept', async () => {
    const seen: string[] = [];
    const app = makeApp().event('contact.user.created_v3', async (_ctx, e) => {
      expectTypeOf(e.object.open_id).toEqualTypeOf<string>();
      expectTypeOf(e.object.enterprise_email).toEqualTypeOf<string | undefined>();
      seen.push(`${e.object.open_id} ${e.object.name} ${String(e.object.custom_field)}`);
    });
    await app.handleEvent(
      delivery('contact.user.created_v3', { object: { open_id: 'ou_new', name: '张三', custom_field: 1 } }),
    );
    expect(seen).toEqual(['ou_new 张三 1']);
  });

  it("does not hand a payload that fails the event's schema to the handler, and logs what is wrong", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'warn' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    let ran = false;
    const app = new App({ config, gateway: gw, store, logger }).event(
      'contact.user.created_v3',
      async () => void (ran = true),
    );
    await app.handleEvent(delivery('contact.user.created_v3', { object: { name: '没有 open_id' } }));
    expect(ran).toBe(false);
    expect(gw.calls).toEqual([]);
    expect(lines).toMatchObject([
      { msg: 'event does not match its schema; not handled', type: 'contact.user.created_v3' },
    ]);
    expect(JSON.stringify(lines[0]?.issues)).toContain('open_id');
  });

  it('gives command and action handlers a sender that is not optional', () => {
    const app = makeApp();
    app.command(
      'who',
      {
        summary: { zh_cn: '我是谁', en_us: 'Who am I', ja_jp: '自分の情報' },
        usage: '/who',
        examples: ['/who'],
        args: z.object({}),
      },
      async (ctx) => {
        expectTypeOf(ctx.sender).toEqualTypeOf<Sender>();
      },
    );
    app.action(sendDraft, async (ctx) => {
      expectTypeOf(ctx.sender).toEqualTypeOf<Sender>();
    });
    app.event('contact.user.created_v3', async (ctx) => {
      expectTypeOf(ctx.sender).toEqualTypeOf<Sender | undefined>();
    });
    const _compileOnly = () => {
      // @ts-expect-error an event type without a schema in src/events.ts cannot be registered
      app.event('contact.user.created_v4', async () => {});
      // @ts-expect-error messages reach commands, not app.event
      app.event('im.message.receive_v1', async () => {});
    };
  });

  it('does not run a command whose message names no sender', async () => {
    const app = makeApp();
    const d = message('/help');
    delete (d.payload.event as { sender: { sender_id?: unknown } }).sender.sender_id;
    await app.handleEvent(d);
    expect(gw.calls).toEqual([]);
    await app.handleEvent(message('/help'));
    expect(gw.calls).toHaveLength(1);
  });
});

function cardCallback(
  value: Record<string, unknown>,
  o: { from?: string; formValue?: Record<string, unknown>; legacy?: boolean } = {},
): Delivery {
  const id = `cb_${++seq}`;
  const action = { value, tag: 'button', ...(o.formValue ? { form_value: o.formValue } : {}) };
  const payload = o.legacy
    ? { open_id: o.from ?? OPS, open_message_id: 'om_card1', open_chat_id: 'oc_chat1', token: 'c-legacy', action }
    : {
        schema: '2.0',
        header: { event_id: id, event_type: 'card.action.trigger' },
        event: {
          operator: { open_id: o.from ?? OPS },
          token: 'c-token1',
          action,
          host: 'im_message',
          context: { open_message_id: 'om_card1', open_chat_id: 'oc_chat1' },
        },
      };
  return { kind: 'card', type: 'card.action.trigger', id, dedupeKey: id, payload, receivedAt: 0 };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const sendArgs = z.object({ draftId: z.string().min(1), note: z.string().optional() });
const sendDraft = defineAction('draft.send', sendArgs, {
  form: ['note'],
  progress: { zh_cn: '正在发送', en_us: 'Sending', ja_jp: '送信中' },
});

function withSend(app: App, handler: ActionHandler<z.infer<typeof sendArgs>>) {
  app.action(sendDraft, handler);
  return app;
}

describe('app: listener middleware', () => {
  it('answers a command with the card its handler returns, as a reply to the message', async () => {
    const app = makeApp().command('probe', probeSpec, async (_ctx, a) => probeDone(a.name));
    await app.handleEvent(message('/probe 甲'));
    expect(gw.calls).toHaveLength(1);
    expect(gw.calls[0]).toMatchObject({ method: 'replyCard' });
    expect(gw.cardText()).toContain(sees('完成 甲'));
  });

  it('runs a command behind once a single time for a redelivered message, answering both with the first card', async () => {
    let runs = 0;
    const app = makeApp().command(
      'probe',
      probeSpec,
      once('probe', { busy: () => probeDone('busy') }),
      async (_ctx, a) => probeDone(`${a.name} ${++runs}`),
    );
    const d = message('/probe 乙');
    await app.handleEvent(d);
    await app.handleEvent(d);
    expect(runs).toBe(1);
    const texts = gw.calls.map((c) => JSON.stringify('card' in c ? c.card : ''));
    expect(texts).toHaveLength(2);
    for (const t of texts) expect(t).toContain(sees('完成 乙 1'));
  });

  it("answers a listener's failure with its own boundary's card, and sends a retryable one back to the inbox", async () => {
    let fail: Error = new FeishuError({ code: 232010, msg: 'no permission', endpoint: 'im.chat.create' });
    const app = makeApp().command(
      'probe',
      probeSpec,
      recover(async (_ctx, a, err) =>
        successCard({
          title: {
            zh_cn: `${a.name} 未完成`,
            en_us: `${a.name} not done: ${(err as FeishuError).code}`,
            ja_jp: `${a.name} は完了していません：${(err as FeishuError).code}`,
          },
        }),
      ),
      async () => {
        throw fail;
      },
    );
    await app.handleEvent(message('/probe 丙'));
    expect(gw.cardText()).toContain(sees('丙 not done: 232010'));
    fail = new FeishuError({ code: 99991400, msg: 'too many requests', endpoint: 'im.chat.create', httpStatus: 429 });
    const retried = { ...message('/probe 丁'), finalAttempt: false };
    await expect(app.handleEvent(retried)).rejects.toBe(fail);
    expect(gw.calls).toHaveLength(1);
  });

  it('audits a listener once it ends: ok when it answers, error with the code when it throws', async () => {
    let fail = false;
    const app = makeApp().command(
      'probe',
      probeSpec,
      audited('probe.run', (a) => a.name),
      async (_ctx, a) => {
        if (fail) throw new FeishuError({ code: 232010, msg: 'no permission', endpoint: 'im.chat.create' });
        return probeDone(a.name);
      },
    );
    await app.handleEvent(message('/probe 己'));
    fail = true;
    await app.handleEvent(message('/probe 庚'));
    const trail = (await store.auditLog(10)).filter((r) => r.action === 'probe.run');
    expect(trail.map((r) => [r.target, r.result, r.detail])).toEqual([
      ['庚', 'error', '232010'],
      ['己', 'ok', undefined],
    ]);
  });

  it('uses an error boundary given to the app instead of the default one', async () => {
    const caught: unknown[] = [];
    const app = new App({
      config,
      gateway: gw,
      store,
      errorBoundary: async (_ctx, next) => {
        await next().catch((err: unknown) => void caught.push(err));
      },
    }).command('probe', probeSpec, async () => {
      throw new Error('boom');
    });
    await app.handleEvent(message('/probe 戊'));
    expect(caught).toEqual([new Error('boom')]);
    expect(gw.calls).toHaveLength(0);
  });
});

describe('app: card actions', () => {
  const SENT = { zh_cn: '已发送', en_us: 'Sent', ja_jp: '送信しました' };

  it('answers within the budget with the handler card and toast, args from value and form', async () => {
    const seen: unknown[] = [];
    const app = withSend(makeApp(), async (_ctx, args) => {
      seen.push(args);
      return {
        card: successCard({ title: SENT }),
        toast: { type: 'success', text: SENT },
      };
    });
    const answer = await app.handleCard(
      cardCallback({ action: 'draft.send', draftId: 'd_1' }, { formValue: { note: '请查收' } }),
    );
    expect(seen).toEqual([{ draftId: 'd_1', note: '请查收' }]);
    expect(answer.afterAck).toBeUndefined();
    expect(answer.response.toast).toEqual({ type: 'success', content: '已发送', i18n: SENT });
    expect(answer.response.card?.type).toBe('raw');
    expect(JSON.stringify(answer.response.card?.data)).toContain('已发送');
  });

  it('refuses a submit carrying a field its form does not have, so a typed value never replaces a bound one', async () => {
    const seen: unknown[] = [];
    const app = withSend(makeApp(), async (_ctx, args) => void seen.push(args));
    const forged = await app.handleCard(
      cardCallback({ action: 'draft.send', draftId: 'd_1' }, { formValue: { draftId: 'd_other', note: 'x' } }),
    );
    expect(seen).toEqual([]);
    expect(forged.response.card).toBeUndefined();
    expect(forged.response.toast?.type).toBe('error');
    expect(forged.response.toast?.i18n?.en_us).toContain('fields this form does not have');
    // A field of the form is read from the submit only: the button cannot pre-set it either.
    await app.handleCard(cardCallback({ action: 'draft.send', draftId: 'd_1', note: 'bound' }));
    expect(seen).toEqual([{ draftId: 'd_1' }]);
  });

  it('reads the legacy callback form too', async () => {
    const seen: unknown[] = [];
    const app = withSend(makeApp(), async (ctx, args) => void seen.push([ctx.sender?.openId, ctx.messageId, args]));
    await app.handleCard(cardCallback({ action: 'draft.send', draftId: 'd_2' }, { legacy: true }));
    expect(seen).toEqual([[OPS, 'om_card1', { draftId: 'd_2' }]]);
  });

  it('answers a slow action with a toast and a progress card, then its inbox continuation updates the card by token', async () => {
    const gate = deferred();
    const app = withSend(makeApp({ cardBudgetMs: 20 }), async () => {
      await gate.promise;
      return {
        card: successCard({ title: { zh_cn: '邮件已发出', en_us: 'Mail sent', ja_jp: 'メールを送信しました' } }),
      };
    });
    const answer = await app.handleCard(cardCallback({ action: 'draft.send', draftId: 'd_3' }));
    expect(answer.response.toast?.type).toBe('info');
    expect(JSON.stringify(answer.response.card?.data)).toContain(sees('正在发送'));
    // Handed to the inbox, without the update token (a credential): it stays in memory.
    expect(answer.continuation).toMatchObject({ kind: 'card', dedupeKey: expect.stringMatching(/^continue:/) });
    expect(JSON.stringify(answer.continuation)).not.toContain('c-token1');
    expect(gw.calls).toEqual([]);
    gate.resolve();
    await app.handleEvent(answer.continuation!);
    expect(gw.calls).toMatchObject([{ method: 'updateCardByToken', token: 'c-token1' }]);
    expect(gw.cardText()).toContain(sees('邮件已发出'));
  });

  it('falls back to patching the message when the delayed-update token fails', async () => {
    gw.failTokenUpdates = true;
    const app = withSend(makeApp({ cardBudgetMs: 1 }), async () => {
      await new Promise((r) => setTimeout(r, 20));
      return { card: successCard({ title: { zh_cn: '完成', en_us: 'Done', ja_jp: '完了' } }) };
    });
    const answer = await app.handleCard(cardCallback({ action: 'draft.send', draftId: 'd_4' }));
    await app.handleEvent(answer.continuation!);
    expect(gw.calls).toMatchObject([{ method: 'patchCard', messageId: 'om_card1' }]);
  });

  it('refuses invalid action args with a toast, without running the handler', async () => {
    let ran = false;
    const app = withSend(makeApp(), async () => void (ran = true));
    const answer = await app.handleCard(cardCallback({ action: 'draft.send' }));
    expect(ran).toBe(false);
    expect(answer.response.toast?.type).toBe('error');
    expect(answer.response.toast?.i18n?.en_us).toContain('draftId: is required');
  });

  it('answers an error card and toast with a reference when an action throws', async () => {
    const app = withSend(makeApp(), async () => {
      throw new Error('boom');
    });
    const answer = await app.handleCard(cardCallback({ action: 'draft.send', draftId: 'd_5' }));
    expect(answer.response.toast?.type).toBe('error');
    expect(JSON.stringify(answer.response.card?.data)).toContain('ref0c0ffee');
  });

  it('refuses a click on an action listed in the config with an error toast and leaves the card as it is', async () => {
    const cfg = parseConfig({ admins: [ADMIN], commands: { 'draft.send': { allow: ['admins'] } } }, {});
    let ran = false;
    const app = withSend(new App({ config: cfg, gateway: gw, store }), async () => void (ran = true));
    const answer = await app.handleCard(cardCallback({ action: 'draft.send', draftId: 'd_6' }, { from: STRANGER }));
    expect(ran).toBe(false);
    expect(answer.response.card).toBeUndefined();
    expect(answer.response.toast?.type).toBe('error');
    expect(answer.response.toast?.i18n?.en_us).toContain('only admins may run draft.send');
  });

  it('says the button no longer works for an unknown action', async () => {
    const answer = await makeApp().handleCard(cardCallback({ action: 'gone.away' }));
    expect(answer.response).toEqual({
      toast: {
        type: 'warning',
        content: '这个按钮已失效',
        i18n: { zh_cn: '这个按钮已失效', en_us: 'This button no longer works', ja_jp: 'このボタンは無効になりました' },
      },
    });
  });
});
