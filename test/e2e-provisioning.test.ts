/**
 * /group, /mailgroup and /contact end to end: the emulator pushes a user's command, the bot calls the emulator
 * through the SDK, and the card reply (and every click on it) lands in emulator state.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cardButtons } from '../src/emulator/delivery.js';
import type { Message } from '../src/emulator/state.js';
import { callsTo, control, eventually, groupChats, mailState, readCard, userNamed } from './helpers/provisioning.js';
import { testSandbox } from './helpers/sandbox.js';
import { openIdFor } from '../src/emulator/seed.js';

let sb: Awaited<ReturnType<typeof testSandbox>>;
beforeAll(async () => {
  // 张伟 may write into other people's mailboxes through a role, as a deployment would configure it.
  sb = await testSandbox({
    roles: { hr: [openIdFor('zhangwei')] },
    commands: { 'contact.other-mailbox': { allow: ['role:hr'] } },
  });
});
afterAll(async () => sb?.close());
// Reset keeps the bot endpoint configured; it clears chats, mail, faults and the call log.
beforeEach(() => control(sb.emulator, 'reset', {}));

/** 张伟 sends `text` to the bot privately; resolves with the bot's single reply. */
async function command(text: string, from = '张伟'): Promise<Message> {
  const messageId = await sb.say(from, text);
  const [reply] = await sb.replies(messageId);
  if (!reply) throw new Error(`no reply to ${text}`);
  return reply;
}

const DOMAIN = 'feishu-ops.example';

/** The newest card the bot posted in a chat (the form a button posts next to the card it was clicked on). */
function newestCard(chatId: string): Message {
  const cards = [...sb.emulator.state.messages.values()].filter((m) => m.chatId === chatId && m.sender.type === 'app');
  const last = cards.at(-1);
  if (!last) throw new Error(`no card in ${chatId}`);
  return last;
}

/** Clicks "Create a mailgroup for this chat" and returns the form card it posted. */
async function mailgroupForm(card: Message, by = '张伟'): Promise<Message> {
  await sb.delivery.click({ messageId: card.messageId, by, action: 'group.mailgroup' });
  return newestCard(card.chatId);
}

describe('/group create', () => {
  it('creates one chat owned by the requester with the mentioned members and names those it could not add', async () => {
    const reply = await command('/group create 值班群 @李娜 @王芳 @赵敏 @黄强 desc="夜间值班" --thread');
    const [chat, ...others] = groupChats(sb.emulator);
    expect(others).toHaveLength(0);
    expect(chat?.name).toBe('值班群');
    expect(chat?.description).toBe('夜间值班');
    expect(chat?.ownerId).toBe(userNamed(sb.emulator, '张伟').open_id);
    expect(chat?.settings.group_message_type).toBe('thread');
    expect([...(chat?.members ?? [])].sort()).toEqual(
      ['张伟', '李娜', '王芳'].map((n) => userNamed(sb.emulator, n).open_id).sort(),
    );
    const text = readCard(reply.card);
    expect(text).toContain(chat?.chatId);
    expect(text).toMatch(/赵敏：已离职/);
    expect(text).toMatch(/黄强：不在应用的通讯录范围内/);
    expect(cardButtons(reply.card).map((b) => b.value.action)).toEqual([
      'group.add-members',
      'group.mailgroup',
      'change.undo',
    ]);
  });

  it('makes the named owner own the chat and creates a public chat with --public', async () => {
    await command('/group create "Release Crew" owner=@王芳 --public');
    const [chat] = groupChats(sb.emulator);
    expect(chat?.ownerId).toBe(userNamed(sb.emulator, '王芳').open_id);
    expect(chat?.chatType).toBe('public');
  });

  it('refuses a name over 60 characters before calling Feishu, naming the field and the limit', async () => {
    const reply = await command(`/group create ${'长'.repeat(61)}`);
    expect(readCard(reply.card)).toMatch(/name: 长度须为 1–60 个字符（现在 61 个）/);
    expect(callsTo(sb.emulator, '/open-apis/im/v1/chats')).toHaveLength(0);
  });

  it('explains a chat name that fails content review (232023) with the next step', async () => {
    const reply = await command('/group create 违禁词群');
    const text = readCard(reply.card);
    expect(text).toContain('232023');
    expect(text).toContain('修改名称或描述');
    expect(groupChats(sb.emulator)).toHaveLength(0);
  });

  it('explains an injected chat-create failure (232034 app unavailable)', async () => {
    await control(sb.emulator, 'faults', { pathPrefix: '/open-apis/im/v1/chats', code: 232034, count: 1 });
    const reply = await command('/group create 故障群');
    expect(readCard(reply.card)).toContain('应用在本企业未安装或已停用');
    expect(groupChats(sb.emulator)).toHaveLength(0);
  });

  it('creates a single chat when the command is delivered twice', async () => {
    await control(sb.emulator, 'bot', { ...sb.delivery.endpoint, duplicateAfterSuccess: true });
    try {
      const messageId = await sb.say('张伟', '/group create 重复投递 @李娜');
      await sb.replies(messageId);
      await eventually(() => expect(sb.delivery.events[0]?.attempts.length).toBe(2));
      expect(groupChats(sb.emulator)).toHaveLength(1);
      expect(await sb.replies(messageId, 2, 300)).toHaveLength(1);
    } finally {
      await control(sb.emulator, 'bot', { ...sb.delivery.endpoint, duplicateAfterSuccess: false });
    }
  });
});

describe('the buttons of the /group create card', () => {
  it('"Add members" posts a person picker; submitting it adds the picked people and names those it could not add', async () => {
    const reply = await command('/group create 协作群 @李娜');
    const [chat] = groupChats(sb.emulator);
    const before = structuredClone(reply.card);
    await sb.delivery.click({ messageId: reply.messageId, by: '张伟', action: 'group.add-members' });
    const form = newestCard(reply.chatId);
    expect(JSON.stringify(form.card)).toContain('multi_select_person');
    expect(sb.emulator.state.messages.get(reply.messageId)?.card).toEqual(before);

    const picked = ['杨磊', '赵敏'].map((n) => userNamed(sb.emulator, n).open_id);
    const submit = await sb.delivery.click({
      messageId: form.messageId,
      by: '张伟',
      action: 'group.add-members-submit',
      formValue: { members: picked },
    });
    expect(chat?.members.has(userNamed(sb.emulator, '杨磊').open_id)).toBe(true);
    expect(readCard(submit.card)).toMatch(/赵敏：已离职/);
    expect((submit.card as { header: { template: string } }).header.template).toBe('orange');
  });

  it('"Create a mailgroup for this chat" creates nothing until its pre-filled form is submitted', async () => {
    const reply = await command('/group create "SRE Weekly" @李娜 @刘洋');
    const before = structuredClone(reply.card);
    const form = await mailgroupForm(reply);
    expect(mailState(sb.emulator).mailgroups).toHaveLength(0);
    const text = JSON.stringify(form.card);
    expect(text).toContain(`sre-weekly@${DOMAIN}`);
    expect(text).toContain('"initial_option":"members"');
    expect(sb.emulator.state.messages.get(reply.messageId)?.card).toEqual(before);

    const first = await sb.delivery.click({
      messageId: form.messageId,
      by: '张伟',
      action: 'group.mailgroup-submit',
      formValue: { email: `sre-weekly@${DOMAIN}`, name: 'SRE Weekly', who: 'members' },
    });
    expect(readCard(first.card)).toContain(`sre-weekly@${DOMAIN}`);
    const { mailgroups } = mailState(sb.emulator);
    expect(mailgroups.map((g) => g.email)).toEqual([`sre-weekly@${DOMAIN}`]);
    expect(mailgroups[0]?.who_can_send_mail).toBe('ALL_GROUP_MEMBERS');
    expect(mailgroups[0]?.members.map((m) => m.openId).sort()).toEqual(
      ['张伟', '李娜', '刘洋'].map((n) => userNamed(sb.emulator, n).open_id).sort(),
    );
    expect((first.response?.toast as { content?: string } | undefined)?.content).toBe('邮件组已创建');
  });

  it('answers a repeated submit for the same chat with the group made by the first one', async () => {
    const reply = await command('/group create 日报群 @李娜');
    const [chat] = groupChats(sb.emulator);
    const email = `chat-${chat?.chatId.slice(-8)}@${DOMAIN}`;
    const form = await mailgroupForm(reply);
    // Both submits come from the same form (a second device still shows it).
    const card = structuredClone(form.card);
    await sb.delivery.click({
      messageId: form.messageId,
      by: '张伟',
      action: 'group.mailgroup-submit',
      formValue: { email, name: '日报群', who: 'members' },
    });
    const msg = sb.emulator.state.messages.get(form.messageId);
    if (!msg) throw new Error('form vanished');
    msg.card = card;
    const second = await sb.delivery.click({
      messageId: form.messageId,
      by: '李娜',
      action: 'group.mailgroup-submit',
      formValue: { email, name: '日报群', who: 'members' },
    });
    expect(mailState(sb.emulator).mailgroups.map((g) => g.email)).toEqual([email]);
    expect((second.response?.toast as { content?: string } | undefined)?.content).toBe('这个群已经有邮件组了');
  });
});

describe('who may make a mail group of a chat from its buttons', () => {
  const botCardCount = (chatId: string) =>
    [...sb.emulator.state.messages.values()].filter((m) => m.chatId === chatId && m.sender.type === 'app').length;
  const toastOf = (r: { response?: Record<string, unknown> }) =>
    r.response?.toast as { type?: string; i18n?: { en_us?: string } } | undefined;

  it('refuses someone outside the chat with an error toast, before the form and again on its submit, and changes nothing', async () => {
    const reply = await command('/group create 私密群 @李娜');
    const before = structuredClone(reply.card);
    const posted = botCardCount(reply.chatId);
    const open = await sb.delivery.click({ messageId: reply.messageId, by: '刘洋', action: 'group.mailgroup' });
    expect(toastOf(open)?.type).toBe('error');
    expect(toastOf(open)?.i18n?.en_us).toContain('Only the members, owner or managers of this chat');
    expect(open.response?.card).toBeUndefined();
    expect(sb.emulator.state.messages.get(reply.messageId)?.card).toEqual(before);
    expect(botCardCount(reply.chatId)).toBe(posted);

    // The owner opens the form; someone outside the chat submits it.
    const form = await mailgroupForm(reply);
    const formBefore = structuredClone(form.card);
    const submit = await sb.delivery.click({
      messageId: form.messageId,
      by: '刘洋',
      action: 'group.mailgroup-submit',
      formValue: { email: `leak@${DOMAIN}`, name: 'Leak', who: 'members' },
    });
    expect(toastOf(submit)?.type).toBe('error');
    expect(toastOf(submit)?.i18n?.en_us).toContain('Only the members, owner or managers of this chat');
    expect(sb.emulator.state.messages.get(form.messageId)?.card).toEqual(formBefore);
    expect(mailState(sb.emulator).mailgroups).toHaveLength(0);
  });

  it('lets a member who neither owns nor manages the chat open the form', async () => {
    const reply = await command('/group create 成员群 @李娜');
    const open = await sb.delivery.click({ messageId: reply.messageId, by: '李娜', action: 'group.mailgroup' });
    expect(toastOf(open)?.type).toBe('info');
    expect(JSON.stringify(newestCard(reply.chatId).card)).toContain('group.mailgroup-submit');
  });

  it("refuses a hand-made submit of one's own chat's form that adds another chat's id, and creates nothing", async () => {
    await command('/group create 受害群 @李娜');
    const [victim] = groupChats(sb.emulator);
    const own = await command('/group create 刘洋的群', '刘洋');
    const form = await mailgroupForm(own, '刘洋');
    const submit = await sb.delivery.click({
      messageId: form.messageId,
      by: '刘洋',
      action: 'group.mailgroup-submit',
      formValue: { chatId: victim!.chatId, email: `victim@${DOMAIN}`, name: 'Victim', who: 'anyone' },
    });
    expect(toastOf(submit)?.type).toBe('error');
    expect(toastOf(submit)?.i18n?.en_us).toContain('fields this form does not have');
    expect(mailState(sb.emulator).mailgroups).toHaveLength(0);
  });
});

describe('clicks racing each other', () => {
  it('lets one of two simultaneous mailgroup form submits act; the other hears it is under way', async () => {
    const reply = await command('/group create 并发群 @李娜');
    const [chat] = groupChats(sb.emulator);
    const email = `chat-${chat?.chatId.slice(-8)}@${DOMAIN}`;
    const form = await mailgroupForm(reply);
    await control(sb.emulator, 'faults', { pathPrefix: '/open-apis/mail/v1/mailgroups', latencyMs: 800, count: 1 });
    const clicks = await Promise.all(
      ['张伟', '李娜'].map((by) =>
        sb.delivery.click({
          messageId: form.messageId,
          by,
          action: 'group.mailgroup-submit',
          formValue: { email, name: '并发群', who: 'members' },
        }),
      ),
    );
    const toasts = clicks.map((c) => (c.response?.toast as { content?: string } | undefined)?.content);
    expect(toasts).toContain('邮件组正在创建中');
    expect(toasts).toContain('邮件组已创建');
    expect(mailState(sb.emulator).mailgroups.map((g) => g.email)).toEqual([email]);
    expect(
      callsTo(sb.emulator, '/open-apis/mail/v1/mailgroups').filter((c) => c.path === '/open-apis/mail/v1/mailgroups'),
    ).toHaveLength(1);
  });
});

describe('app.run (the command runner other features use)', () => {
  const cardsNamed = (name: string) =>
    [...sb.emulator.state.messages.values()].filter((m) => m.sender.type === 'app' && readCard(m.card).includes(name));

  it('acts once per origin: the same origin twice makes one chat and one reply, another origin a second chat', async () => {
    const zhang = userNamed(sb.emulator, '张伟');
    const as = { openId: zhang.open_id, name: '张伟' };
    const first = { id: 'wf_1', type: 'onboarding.step', dedupeKey: 'wf_1/chat' };
    expect(await sb.bot.app.run('/group create 入职群', as, first)).toBe('ok');
    expect(await sb.bot.app.run('/group create 入职群', as, first)).toBe('ok');
    expect(groupChats(sb.emulator)).toHaveLength(1);
    expect(cardsNamed('群聊已创建')).toHaveLength(1);
    await sb.bot.app.run('/group create 入职群', as, { id: 'wf_2', type: 'onboarding.step', dedupeKey: 'wf_2/chat' });
    expect(groupChats(sb.emulator)).toHaveLength(2);
    expect(cardsNamed('群聊已创建')).toHaveLength(2);
    // Answered privately: no chat was named.
    expect(cardsNamed('群聊已创建').every((m) => sb.emulator.state.chats.get(m.chatId)?.chatMode === 'p2p')).toBe(true);
  });

  it('answers in the chat it is given', async () => {
    const zhang = userNamed(sb.emulator, '张伟');
    await sb.bot.app.run(
      '/group create 目标群',
      { openId: zhang.open_id },
      { id: 'wf_3', type: 'onboarding.step', dedupeKey: 'wf_3/a' },
    );
    const [chat] = groupChats(sb.emulator);
    await sb.bot.app.run(
      '/help',
      { openId: zhang.open_id, chatId: chat!.chatId },
      { id: 'wf_3', type: 'onboarding.step', dedupeKey: 'wf_3/b' },
    );
    const inChat = [...sb.emulator.state.messages.values()].filter(
      (m) => m.chatId === chat!.chatId && m.sender.type === 'app',
    );
    expect(inChat.map((m) => readCard(m.card)).join()).toContain('/group create');
  });
});

describe('/mailgroup create', () => {
  it('creates the group with its settings and the mentioned members', async () => {
    const reply = await command(
      `/mailgroup create ops@${DOMAIN} name="运维组" desc="值班通知" who=internal @李娜 @王芳`,
    );
    const { mailgroups } = mailState(sb.emulator);
    expect(mailgroups).toHaveLength(1);
    expect(mailgroups[0]).toMatchObject({
      email: `ops@${DOMAIN}`,
      name: '运维组',
      who_can_send_mail: 'ALL_INTERNAL_USERS',
    });
    expect(mailgroups[0]?.members.map((m) => m.openId).sort()).toEqual(
      ['李娜', '王芳'].map((n) => userNamed(sb.emulator, n).open_id).sort(),
    );
    expect(readCard(reply.card)).toContain(mailgroups[0]?.mailgroup_id);
  });

  it('answers an address in use (1234006) with another address to try', async () => {
    await command(`/mailgroup create team@${DOMAIN}`);
    const reply = await command(`/mailgroup create team@${DOMAIN}`);
    const text = readCard(reply.card);
    expect(text).toContain('该邮箱地址已被占用');
    expect(text).toContain(`/mailgroup create team-2@${DOMAIN}`);
    expect(mailState(sb.emulator).mailgroups).toHaveLength(1);
  });

  it("answers an unknown domain (1234019) with the tenant's domain", async () => {
    const reply = await command('/mailgroup create team@elsewhere.example');
    const text = readCard(reply.card);
    expect(text).toContain('邮箱地址的域名不存在');
    expect(text).toContain(`/mailgroup create team@${DOMAIN}`);
    expect(mailState(sb.emulator).mailgroups).toHaveLength(0);
  });

  it('explains the other documented errors: a login address (1234033) and an injected group limit (1234030)', async () => {
    expect(readCard((await command(`/mailgroup create lina@${DOMAIN}`)).card)).toContain('该地址已被他人用作登录邮箱');
    await control(sb.emulator, 'faults', { pathPrefix: '/open-apis/mail/v1/mailgroups', code: 1234030, count: 1 });
    expect(readCard((await command(`/mailgroup create full@${DOMAIN}`)).card)).toContain(
      '邮件组数量或成员数量已达上限',
    );
    expect(mailState(sb.emulator).mailgroups).toHaveLength(0);
  });

  it('reports the group as created and names the members a failed batch_create left out', async () => {
    await control(sb.emulator, 'faults', { pathPrefix: '/open-apis/mail/v1/mailgroups/', code: 1234030, count: 1 });
    const reply = await command(`/mailgroup create partial@${DOMAIN} @李娜`);
    expect(mailState(sb.emulator).mailgroups.map((g) => [g.email, g.members.length])).toEqual([
      [`partial@${DOMAIN}`, 0],
    ]);
    const text = readCard(reply.card);
    expect(text).toContain('邮件组已创建');
    expect(text).toContain('李娜：邮件组数量或成员数量已达上限');
  });

  it('rejects an unknown who= before any call, listing the valid values', async () => {
    const reply = await command(`/mailgroup create ops@${DOMAIN} who=everybody`);
    expect(readCard(reply.card)).toContain('who: 只能是 anyone、internal、members');
    expect(callsTo(sb.emulator, '/open-apis/mail/v1/mailgroups')).toHaveLength(0);
  });
});

describe('/contact add', () => {
  it("adds the contact to the requester's own mailbox and says which mailbox", async () => {
    const reply = await command(
      '/contact add 张三 email=zhangsan@example.com company="张三科技" phone=19912341234 tag=客户',
    );
    const { contacts } = mailState(sb.emulator);
    expect(Object.keys(contacts)).toEqual([`zhangwei@${DOMAIN}`]);
    expect(contacts[`zhangwei@${DOMAIN}`]).toMatchObject([
      { name: '张三', mail_address: 'zhangsan@example.com', company: '张三科技' },
    ]);
    expect(readCard(reply.card)).toContain(`zhangwei@${DOMAIN}`);
  });

  it('adds to the mailbox named with mailbox= for a member of the configured role', async () => {
    await command(`/contact add 李四 mailbox=lina@${DOMAIN}`);
    expect(Object.keys(mailState(sb.emulator).contacts)).toEqual([`lina@${DOMAIN}`]);
  });

  it('checks every documented length before the call, naming each field and its limit', async () => {
    const reply = await command(
      `/contact add ${'名'.repeat(65)} company=${'c'.repeat(65)} phone=${'1'.repeat(41)} remark=${'r'.repeat(1001)}`,
    );
    const text = readCard(reply.card);
    expect(text).toContain('name: 长度须为 1–64 个字符（现在 65 个）');
    expect(text).toContain('company: 长度最多 64 个字符（现在 65 个）');
    expect(text).toContain('phone: 长度最多 40 个字符（现在 41 个）');
    expect(text).toContain('remark: 长度最多 1000 个字符（现在 1001 个）');
    expect(callsTo(sb.emulator, '/open-apis/mail/v1/user_mailboxes')).toHaveLength(0);
  });

  it("explains a mailbox outside the app's data scope (1230002)", async () => {
    const reply = await command(`/contact add 王五 mailbox=huangqiang@${DOMAIN}`);
    expect(readCard(reply.card)).toContain('没有权限访问这个邮箱');
    expect(mailState(sb.emulator).contacts).toEqual({});
  });

  it('explains a mailbox that does not exist (1230001)', async () => {
    const reply = await command(`/contact add 王五 mailbox=nobody@${DOMAIN}`);
    expect(readCard(reply.card)).toContain('1230001');
    expect(mailState(sb.emulator).contacts).toEqual({});
  });

  it('retries an internal error (1230003) and adds the contact once', async () => {
    await control(sb.emulator, 'faults', { pathPrefix: '/open-apis/mail/v1/user_mailboxes', code: 1230003, count: 2 });
    const reply = await command('/contact add 赵六');
    expect(readCard(reply.card)).toContain('联系人已添加');
    expect(mailState(sb.emulator).contacts[`zhangwei@${DOMAIN}`]).toHaveLength(1);
  });
});
