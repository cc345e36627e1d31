/**
 * /whoami and the refusal card, end to end: the emulator pushes what a user types, the bot looks them up in the
 * emulator's directory over HTTP, checks app.config.json's rules, and the card says who they are, what they may run,
 * whether they are signed in; a refused command's card names the open_id and the line that would let them in.
 * 王芳 is the admin; 陈静 has the role hr, which may run /onboard; /mailgroup is admin-only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appConfigSchema } from '../src/config.js';
import { openIdFor } from '../src/emulator/seed.js';
import { permission } from '../src/middleware/authorize.js';
import { browserSignIn, signInLink } from './helpers/auth.js';
import type { Locale } from '../src/i18n.js';
import { callsTo, eventually, userNamed } from './helpers/provisioning.js';
import { testSandbox, textIn } from './helpers/sandbox.js';

const CONFIG = {
  admins: [openIdFor('wangfang')],
  roles: { hr: [openIdFor('chenjing')] },
  commands: { onboard: { allow: ['role:hr'] }, mailgroup: { allow: ['admins'] } },
};
let sb: Awaited<ReturnType<typeof testSandbox>>;
beforeAll(async () => {
  sb = await testSandbox(CONFIG);
});
afterAll(async () => sb?.close());

/** The reply's card as a reader whose Feishu speaks `locale` sees it, entities decoded. */
async function command(text: string, from: string, locale: Locale = 'zh_cn'): Promise<string> {
  const messageId = await sb.say(from, text);
  const [reply] = await sb.replies(messageId);
  if (!reply) throw new Error(`no reply to ${text}`);
  return decoded(textIn(reply.card, locale));
}
const decoded = (text: string): string => text.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));

/** The line between "app.config.json → commands" and the end of its code block. */
const configLine = (card: string): string => {
  const m = /app\.config\.json → commands\*\*\n```\n(.*)\n```/.exec(card);
  if (!m?.[1]) throw new Error(`no config line on the card:\n${card}`);
  return m[1];
};

describe('/whoami', () => {
  it('shows the ids from the directory, the commands allowed and refused by the rules, and the sign-in', async () => {
    const me = userNamed(sb.emulator, '张伟');
    const before = callsTo(sb.emulator, `/open-apis/contact/v3/users/${me.open_id}`, 'GET').length;
    const card = await command('/whoami', '张伟');
    expect(callsTo(sb.emulator, `/open-apis/contact/v3/users/${me.open_id}`, 'GET').length).toBeGreaterThan(before);
    expect(card).toContain('你的身份');
    expect(card).toContain(`**open_id**：\`${me.open_id}\``);
    expect(card).toContain(`**user_id**：\`${me.user_id}\``);
    expect(card).toContain(`**union_id**：\`${me.union_id}\``);
    expect(card).toContain('**管理员**：否');
    expect(card).not.toContain('**角色**');
    expect(card).toMatch(/你可以运行\*\*（\d+）[^]*- \/group create/);
    expect(card).toMatch(/- \/mailgroup create：管理员/);
    expect(card).toMatch(/- \/onboard：角色 hr 的成员/);
    expect(card).toContain('未登录：发送 /login');
    const english = await command('/whoami', '张伟', 'en_us');
    expect(english).toContain('Who you are');
    expect(english).toContain('**Admin**：no');
    expect(english).toMatch(/- \/mailgroup create: admins/);
    expect(english).toMatch(/- \/onboard: members of role hr/);
    expect(english).toContain('not signed in: send /login');
    const japanese = await command('/whoami', '张伟', 'ja_jp');
    expect(japanese).toContain('**管理者**：いいえ');
    expect(japanese).toMatch(/- \/onboard：ロール hr のメンバー/);
    expect(japanese).toContain('未ログイン：/login を送ってください');
  });

  it("shows an admin as admin and a role's member with the role, each allowed what the role allows", async () => {
    const admin = await command('/whoami', '王芳');
    expect(admin).toContain('**管理员**：是');
    expect(admin).not.toContain('你不能运行');
    const hr = await command('/whoami', '陈静');
    expect(hr).toContain('**角色**：`hr`');
    expect(hr).toMatch(/- \/onboard\n/);
    expect(hr).toMatch(/- \/mailgroup create：管理员/);
  });

  it('says signed in, with the mailbox, once the user has consented', async () => {
    const messageId = await sb.say('李娜', '/login');
    const [reply] = await sb.replies(messageId);
    const done = await browserSignIn(signInLink(reply!.card), userNamed(sb.emulator, '李娜').open_id);
    expect(done.status).toBe(200);
    const lina = userNamed(sb.emulator, '李娜');
    await eventually(async () =>
      expect(await command('/whoami', '李娜', 'en_us')).toContain(`signed in (${lina.enterprise_email})`),
    );
  });

  it("for someone outside the app's contact scope, shows the ids of their message and says why", async () => {
    const outside = userNamed(sb.emulator, '黄强');
    const card = await command('/whoami', '黄强', 'en_us');
    expect(card).toContain(`**open_id**：\`${outside.open_id}\``);
    expect(card).toContain("outside the app's contact scope");
  });
});

describe('a refused command', () => {
  it("shows the refused person's open_id and the config line that allows them, which does", async () => {
    const me = userNamed(sb.emulator, '张伟');
    const card = await command('/mailgroup create team@feishu-ops.example', '张伟', 'en_us');
    expect(card).toContain('Not allowed');
    expect(card).toContain(`Your open_id is ${me.open_id}`);
    const line = configLine(card);
    expect(line).toBe(`"mailgroup": { "allow": ["admins", "${me.open_id}"] }`);
    // The line as written into app.config.json lets them through the same check the bot makes.
    const app = appConfigSchema.parse({ ...CONFIG, commands: { ...CONFIG.commands, ...JSON.parse(`{${line}}`) } });
    expect(permission(app, { kind: 'command', key: 'mailgroup create' }, me.open_id)).toEqual({ ok: true });
  });

  it("names the rule inside a command: another person's mailbox", async () => {
    const me = userNamed(sb.emulator, '张伟');
    const card = await command(
      `/contact add 客户甲 email=a@client.example mailbox=${userNamed(sb.emulator, '李娜').enterprise_email}`,
      '张伟',
    );
    expect(configLine(card)).toBe(`"contact.other-mailbox": { "allow": ["admins", "${me.open_id}"] }`);
  });
});
