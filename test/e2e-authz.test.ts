/**
 * Who may do what, and cards that tell the truth, end to end: the emulator pushes what users type and
 * click, the bot checks rules and ownership against Feishu, and the cards say what happened.
 * 王芳 is the bot's admin; /mailgroup is admin-only; everyone else may use /group and /contact.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openIdFor } from '../src/emulator/seed.js';
import type { Message } from '../src/emulator/state.js';
import { control, groupChats, mailState, readCard, userNamed } from './helpers/provisioning.js';
import { testSandbox, textIn } from './helpers/sandbox.js';

const DOMAIN = 'feishu-ops.example';
let sb: Awaited<ReturnType<typeof testSandbox>>;
beforeAll(async () => {
  sb = await testSandbox({ admins: [openIdFor('wangfang')], commands: { mailgroup: { allow: ['admins'] } } });
});
afterAll(async () => sb?.close());
beforeEach(() => control(sb.emulator, 'reset', {}));

async function command(text: string, from = '张伟', chatId?: string): Promise<Message> {
  const messageId = await sb.say(from, text, chatId);
  const [reply] = await sb.replies(messageId);
  if (!reply) throw new Error(`no reply to ${text}`);
  return reply;
}

const botCards = (chatId: string) =>
  [...sb.emulator.state.messages.values()].filter((m) => m.chatId === chatId && m.sender.type === 'app');
const toastOf = (r: { response?: Record<string, unknown> }) =>
  r.response?.toast as { type?: string; content?: string; i18n?: { en_us?: string } } | undefined;
const colour = (card: unknown) => (card as { header?: { template?: string } }).header?.template;
const id = (name: string) => userNamed(sb.emulator, name).open_id;

describe('actions obey the rules of their commands', () => {
  it("a non-admin's click on Create mailgroup is refused when /mailgroup is admin-only, and changes nothing", async () => {
    const reply = await command('/group create 值班群 @李娜');
    const before = structuredClone(reply.card);
    const posted = botCards(reply.chatId).length;
    const click = await sb.delivery.click({ messageId: reply.messageId, by: '张伟', action: 'group.mailgroup' });
    expect(toastOf(click)?.type).toBe('error');
    expect(toastOf(click)?.i18n?.en_us).toContain('only admins may run /mailgroup create');
    expect(click.response?.card).toBeUndefined();
    expect(sb.emulator.state.messages.get(reply.messageId)?.card).toEqual(before);
    expect(botCards(reply.chatId)).toHaveLength(posted);
    expect(mailState(sb.emulator).mailgroups).toHaveLength(0);
  });

  it("an admin's click on the same button opens the form", async () => {
    const reply = await command('/group create 值班群 @李娜', '王芳');
    const click = await sb.delivery.click({ messageId: reply.messageId, by: '王芳', action: 'group.mailgroup' });
    expect(toastOf(click)?.type).toBe('info');
    expect(JSON.stringify(botCards(reply.chatId).at(-1)?.card)).toContain('group.mailgroup-submit');
  });
});

describe('resource ownership', () => {
  it('a non-member cannot add themselves to a private chat, and is told who can', async () => {
    await command('/group create 私密群 @李娜');
    const [chat] = groupChats(sb.emulator);
    const reply = await command(`/group add ${chat!.chatId} @刘洋`, '刘洋');
    const text = readCard(reply.card);
    expect(text).toContain('只有群主（张伟）');
    expect(text).toContain('Ask the owner, 张伟');
    expect(chat!.members.has(id('刘洋'))).toBe(false);
  });

  it('a member who neither owns nor manages the chat cannot add people to it', async () => {
    await command('/group create 私密群 @李娜');
    const [chat] = groupChats(sb.emulator);
    await command(`/group add ${chat!.chatId} @杨磊`, '李娜');
    expect(chat!.members.has(id('杨磊'))).toBe(false);
  });

  it('a chat manager may add members (managers as Feishu reports them)', async () => {
    await command('/group create 管理群 @李娜');
    const [chat] = groupChats(sb.emulator);
    chat!.managers.add(id('李娜'));
    const reply = await command(`/group add ${chat!.chatId} @杨磊`, '李娜');
    expect(readCard(reply.card)).toContain('成员已添加');
    expect(chat!.members.has(id('杨磊'))).toBe(true);
  });

  it('an admin may add members to a chat they do not own', async () => {
    await command('/group create 私密群 @李娜');
    const [chat] = groupChats(sb.emulator);
    await command(`/group add ${chat!.chatId} @刘洋`, '王芳');
    expect(chat!.members.has(id('刘洋'))).toBe(true);
  });

  it('/group add inside a group chat with no chat id adds to that chat', async () => {
    await command('/group create 本群 @李娜');
    const [chat] = groupChats(sb.emulator);
    const reply = await command('@bot /group add @杨磊', '张伟', chat!.chatId);
    expect(readCard(reply.card)).toContain('成员已添加');
    expect(chat!.members.has(id('杨磊'))).toBe(true);
  });

  it('/group add in a private chat with no chat id asks which chat', async () => {
    const reply = await command('/group add @杨磊');
    expect(readCard(reply.card)).toContain('Which chat?');
  });

  it("writing a contact into another person's mailbox is refused for a non-admin, naming who can", async () => {
    const reply = await command(`/contact add 王五 mailbox=lina@${DOMAIN}`, '张伟');
    const text = readCard(reply.card);
    expect(text).toContain('Not allowed');
    expect(text).toContain('ask an admin: 王芳');
    expect(mailState(sb.emulator).contacts).toEqual({});
  });

  it("an admin may write a contact into another person's mailbox", async () => {
    await command(`/contact add 王五 mailbox=lina@${DOMAIN}`, '王芳');
    expect(Object.keys(mailState(sb.emulator).contacts)).toEqual([`lina@${DOMAIN}`]);
  });

  it('a refusal names admins by name, not open_id', async () => {
    const reply = await command('/mailgroup create ops@feishu-ops.example', '张伟');
    const text = readCard(reply.card);
    expect(text).toContain('王芳');
    expect(text).not.toContain(openIdFor('wangfang'));
  });
});

describe('honest outcome cards', () => {
  it('adding only people already in the chat says they are already members, not "added"', async () => {
    await command('/group create 已在群 @李娜');
    const [chat] = groupChats(sb.emulator);
    const reply = await command(`/group add ${chat!.chatId} @李娜`);
    const text = readCard(reply.card);
    expect(text).toContain('Already members');
    expect(text).toContain('李娜');
    expect(text).not.toContain('Members added');
    expect(colour(reply.card)).toBe('blue');
  });

  it('adding one new member and one already in reports each for what it is, green', async () => {
    await command('/group create 混合群 @李娜');
    const [chat] = groupChats(sb.emulator);
    const reply = await command(`/group add ${chat!.chatId} @李娜 @杨磊`);
    const zh = readCard(textIn(reply.card, 'zh_cn'));
    expect(zh).toMatch(/已添加\*\*：1：杨磊/);
    expect(zh).toMatch(/本来就在群里\*\*：1：李娜/);
    const en = readCard(textIn(reply.card, 'en_us'));
    expect(en).toMatch(/Added\*\*：1：杨磊/);
    expect(en).toMatch(/Already members\*\*：1：李娜/);
    expect(colour(reply.card)).toBe('green');
  });

  it('adding no one at all is a failure card, not a green "Members added: 0"', async () => {
    await command('/group create 失败群 @李娜');
    const [chat] = groupChats(sb.emulator);
    const reply = await command(`/group add ${chat!.chatId} @赵敏`);
    expect(colour(reply.card)).toBe('red');
    expect(readCard(reply.card)).toContain('赵敏：已离职');
  });

  it('a chat created with members left out is amber and says how many of how many are in', async () => {
    const reply = await command('/group create 部分群 @李娜 @赵敏 @黄强');
    expect(colour(reply.card)).toBe('orange');
    const text = readCard(reply.card);
    expect(text).toContain('only 1 of 3 members are in');
    expect(text).not.toContain('its members are in');
  });

  it('a chat created with every member in is green', async () => {
    const reply = await command('/group create 全员群 @李娜');
    expect(colour(reply.card)).toBe('green');
  });
});

describe('names, not ids', () => {
  it('the group-created card names the owner when it defaults to the sender', async () => {
    const reply = await command('/group create 名字群');
    const text = readCard(reply.card);
    expect(readCard(textIn(reply.card, 'zh_cn'))).toMatch(/群主\*\*：张伟/);
    expect(readCard(textIn(reply.card, 'en_us'))).toMatch(/Owner\*\*：张伟/);
    expect(text).not.toContain(id('张伟'));
  });
});

describe('the smaller items', () => {
  it('/grop create 测试 suggests the whole corrected line', async () => {
    expect(readCard((await command('/grop create 测试')).card)).toContain('/group create 测试');
  });

  it('/help group is titled for the group command', async () => {
    const text = readCard((await command('/help group')).card);
    expect(text).toContain('Help: /group');
    expect(text).not.toContain('All commands');
  });

  it('/group delete lists the valid subcommands', async () => {
    const text = readCard((await command('/group delete')).card);
    expect(text).toContain('/group create');
    expect(text).toContain('/group add');
  });

  it('the welcome card in a group says to @mention the bot', async () => {
    await command('/group create 欢迎群 @李娜');
    const [chat] = groupChats(sb.emulator);
    await control(sb.emulator, 'events/bot-added', { chatId: chat!.chatId, by: '张伟' });
    const welcome = await (async () => {
      for (let i = 0; i < 200; i++) {
        const found = botCards(chat!.chatId).find((m) => readCard(m.card).includes('@mention me'));
        if (found) return found;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error('no welcome card');
    })();
    expect(readCard(welcome.card)).toContain('@我');
  });

  it('phone=abc is refused before any call, saying what a phone number looks like', async () => {
    const text = readCard((await command('/contact add 张三 phone=abc')).card);
    expect(text).toContain('phone: 应为电话号码');
    expect(mailState(sb.emulator).contacts).toEqual({});
  });

  it('the same contact added twice is reported with the existing contact, not duplicated', async () => {
    await command('/contact add 张三 email=zhangsan@example.com company=张三科技');
    const again = await command('/contact add 张三丰 email=ZhangSan@example.com');
    const text = readCard(again.card);
    expect(text).toContain('Contact already there');
    expect(text).toContain('张三科技');
    expect(mailState(sb.emulator).contacts[`zhangwei@${DOMAIN}`]).toHaveLength(1);
  });

  it('who=custom is refused with the reason and the values that work', async () => {
    const text = readCard((await command(`/mailgroup create ops@${DOMAIN} who=custom`, '王芳')).card);
    expect(text).toContain('who=custom needs a list of allowed senders');
    expect(mailState(sb.emulator).mailgroups).toHaveLength(0);
  });

  it('/help states the defaults of /mailgroup create and /contact add', async () => {
    expect(readCard((await command('/help mailgroup create')).card)).toContain('anyone (default)');
    expect(readCard((await command('/help contact add')).card)).toContain('default: yours');
  });
});
