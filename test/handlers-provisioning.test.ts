/**
 * What the emulator cannot show: its directory has 9 users, so chats of more than 50 members run against stand-in
 * chat and directory ports (plain objects, no casts). Plus the pure pieces (addresses, slugs) and that every example runs.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { registerHandlers } from '../handlers/index.js';
import { chatSlug } from '../handlers/group-buttons.js';
import { nextAddress } from '../handlers/mailgroup.js';
import { App } from '../src/app.js';
import { Sealer } from '../src/auth/seal.js';
import { parseConfig } from '../src/config.js';
import { FeishuError } from '../src/feishu/errors.js';
import type {
  ChatsPort,
  CreateChatInput,
  CreateMailgroupInput,
  DirectoryPort,
  MailgroupMember,
  MailgroupsPort,
} from '../src/feishu/ports.js';
import { SqliteStore } from '../src/store/sqlite.js';
import { RecordingGateway } from './helpers/recording-gateway.js';
import { readCard } from './helpers/provisioning.js';
import { textIn } from './helpers/sandbox.js';

const REQUESTER = 'ou_requester00000000000000000000';
const member = (i: number) => `ou_member${String(i).padStart(23, '0')}`;

/** The chat and directory ports, answering as Feishu would for a directory where `gone` users do not exist. */
function chatPorts(gone: Set<string>) {
  const creates: CreateChatInput[] = [];
  const adds: string[][] = [];
  const chats: ChatsPort = {
    async create(params) {
      creates.push(params);
      return { chatId: 'oc_created', name: params.name ?? '' };
    },
    async addMembers(_chatId, openIds) {
      adds.push(openIds);
      return { invalidIds: [], notExistedIds: openIds.filter((id) => gone.has(id)), pendingApprovalIds: [] };
    },
    get: async (chatId) => ({
      chatId,
      name: '',
      chatMode: 'group',
      chatType: 'private',
      ownerId: REQUESTER,
      managerIds: [],
    }),
    members: async () => [],
    list: async () => [],
    removeMembers: async (_chatId, openIds) => ({ removed: openIds, notRemoved: [] }),
    dissolve: async () => undefined,
    transferOwner: async () => undefined,
  };
  const directory: DirectoryPort = {
    getUser: async (openId) => ({ openId, name: openId, isResigned: false }),
    openIdsByEmail: async (emails) => new Map(emails.map((e) => [e, undefined])),
  };
  return { gw: new RecordingGateway({ chats, directory }), creates, adds };
}

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function appWith(gateway: RecordingGateway) {
  const dir = mkdtempSync(join(tmpdir(), 'handlers-'));
  dirs.push(dir);
  const app = new App({ config: parseConfig({}, {}), gateway, store: new SqliteStore(join(dir, 'bot.sqlite')) });
  registerHandlers(app, { sealer: new Sealer(randomBytes(32)) });
  return app;
}

function command(text: string, mentions: { key: string; id: { open_id: string }; name: string }[]) {
  return {
    kind: 'event' as const,
    type: 'im.message.receive_v1',
    id: 'ev_1',
    dedupeKey: 'om_1',
    receivedAt: Date.now(),
    payload: {
      event: {
        sender: { sender_id: { open_id: REQUESTER }, sender_type: 'user' },
        message: {
          message_id: 'om_1',
          chat_id: 'oc_p2p',
          chat_type: 'p2p',
          message_type: 'text',
          content: JSON.stringify({ text }),
          mentions,
        },
      },
    },
  };
}

describe('/group create with more than 50 members', () => {
  it('creates the chat with 50, adds the rest in a second call and names those Feishu could not add', async () => {
    const gone = new Set([member(55), member(58)]);
    const { gw, creates, adds } = chatPorts(gone);
    const app = appWith(gw);
    const mentions = Array.from({ length: 60 }, (_, i) => ({
      key: `@_user_${i + 1}`,
      id: { open_id: member(i) },
      name: `成员${i}`,
    }));
    await app.handleEvent(command(`/group create 大群 ${mentions.map((m) => m.key).join(' ')}`, mentions));

    expect(creates).toHaveLength(1);
    expect(creates[0]?.ownerId).toBe(REQUESTER);
    expect(creates[0]?.userIds).toEqual(Array.from({ length: 50 }, (_, i) => member(i)));
    expect(adds).toEqual([Array.from({ length: 10 }, (_, i) => member(50 + i))]);
    const raw = gw.calls.at(-1)?.card;
    expect(textIn(raw, 'zh_cn')).toContain('**已添加成员**：58');
    expect(textIn(raw, 'en_us')).toContain('**Members added**：58');
    const card = readCard(raw);
    expect(card).toContain('成员55：不存在或不可见');
    expect(card).toContain('成员58：不存在或不可见');
    expect(textIn(raw, 'en_us')).toContain('成员55: does not exist or is not visible');
  });

  it('reports a failed batch add as a Feishu error with its next step', async () => {
    const { gw } = chatPorts(new Set());
    gw.chats.addMembers = async () => {
      throw new FeishuError({ code: 232013, msg: 'member limit', endpoint: 'chat.members.create' });
    };
    const app = appWith(gw);
    const mentions = Array.from({ length: 51 }, (_, i) => ({
      key: `@_user_${i + 1}`,
      id: { open_id: member(i) },
      name: `成员${i}`,
    }));
    await app.handleEvent(command(`/group create 大群 ${mentions.map((m) => m.key).join(' ')}`, mentions));
    expect(readCard(gw.calls.at(-1)?.card)).toContain('群成员数量已达上限');
  });
});

/** Mail group ports that refuse the create with `code`; a directory where `outOfScope` users are beyond the app's reach. */
function mailgroupPorts(o: { refuseWith?: number; outOfScope?: string[] } = {}) {
  const creates: CreateMailgroupInput[] = [];
  const added: MailgroupMember[][] = [];
  const mailgroups: MailgroupsPort = {
    async create(input) {
      creates.push(input);
      if (o.refuseWith)
        throw new FeishuError({ code: o.refuseWith, msg: 'refused', endpoint: 'mailgroup.create', httpStatus: 409 });
      return { mailgroupId: 'mg_1', email: input.email, adopted: false };
    },
    get: async () => undefined,
    list: async () => [],
    async addMembers(_id, members) {
      added.push(members);
      return { memberIds: members.map((_, i) => `m_${i}`) };
    },
    members: async () => [],
    removeMembers: async () => undefined,
    delete: async () => undefined,
  };
  const directory: DirectoryPort = {
    async getUser(openId) {
      if (o.outOfScope?.includes(openId))
        throw new FeishuError({ code: 41050, msg: 'no authority', endpoint: 'user.get', httpStatus: 400 });
      return {
        openId,
        name: openId,
        isResigned: false,
        enterpriseEmail: openId === REQUESTER ? 'me@corp.example' : undefined,
      };
    },
    openIdsByEmail: async (emails) => new Map(emails.map((e) => [e, undefined])),
  };
  return { gw: new RecordingGateway({ mailgroups, directory }), creates, added };
}

describe('/mailgroup create against recording ports', () => {
  it('answers an address in use with the next address to try', async () => {
    const { gw, creates } = mailgroupPorts({ refuseWith: 1234006 });
    await appWith(gw).handleEvent(command('/mailgroup create team@corp.example', []));
    expect(creates.map((c) => c.email)).toEqual(['team@corp.example']);
    const card = readCard(gw.calls.at(-1)?.card);
    expect(card).toContain('该邮箱地址已被占用');
    expect(card).toContain('/mailgroup create team-2@corp.example');
  });

  it("answers an unknown domain with the requester's own mail domain", async () => {
    const { gw } = mailgroupPorts({ refuseWith: 1234019 });
    await appWith(gw).handleEvent(command('/mailgroup create team@wrong.example', []));
    expect(readCard(gw.calls.at(-1)?.card)).toContain('/mailgroup create team@corp.example');
  });

  it('creates the group with the members in reach and names the one outside the contact scope', async () => {
    const { gw, added } = mailgroupPorts({ outOfScope: [member(2)] });
    const mentions = [1, 2].map((i) => ({ key: `@_user_${i}`, id: { open_id: member(i) }, name: `成员${i}` }));
    await appWith(gw).handleEvent(command('/mailgroup create team@corp.example @_user_1 @_user_2', mentions));
    expect(added).toEqual([[{ type: 'USER', userId: member(1) }]]);
    const card = readCard(gw.calls.at(-1)?.card);
    expect(card).toContain('邮件组已创建');
    expect(card).toContain('成员2：不在应用的通讯录范围内');
  });
});

describe('provisioning commands', () => {
  it('registers /group create, /group add, /mailgroup create and /contact add, and every example runs as written', () => {
    const app = appWith(new RecordingGateway());
    const names = app.commands().map((c) => [c.name, c.sub].filter(Boolean).join(' '));
    expect(names).toEqual(expect.arrayContaining(['group create', 'group add', 'mailgroup create', 'contact add']));
    expect(app.exampleProblems()).toEqual([]);
  });

  it('suggests the next free-looking address after one in use', () => {
    expect(nextAddress('team@x.example')).toBe('team-2@x.example');
    expect(nextAddress('team-2@x.example')).toBe('team-3@x.example');
    expect(nextAddress('a-b@x.example')).toBe('a-b-2@x.example');
  });

  it('makes a mail address slug from a chat name, or from the chat id when the name has no ASCII', () => {
    expect(chatSlug('SRE Weekly!', 'oc_abcdef1234567890')).toBe('sre-weekly');
    expect(chatSlug('运维值班', 'oc_abcdef1234567890')).toBe('chat-34567890');
    expect(chatSlug('Café Ops', 'oc_1')).toBe('cafe-ops');
  });
});
