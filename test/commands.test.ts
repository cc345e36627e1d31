import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { helpContent } from '../src/commands/help.js';
import { parseCommand, type ParsedCommand } from '../src/commands/parse.js';
import { CommandRegistry } from '../src/commands/registry.js';
import { bindArgs, describeArgs, msg, type CommandSpec } from '../src/commands/spec.js';
import { t } from '../src/i18n.js';

const userRef = z.object({ openId: z.string().startsWith('ou_'), name: z.string() });
const groupCreateArgs = z.object({
  name: z
    .string()
    .min(1, msg('group.args.formName'))
    .max(60, msg('commands.args.lengthAtMost', { max: 60, n: 61 }))
    .describe(msg('group.args.name')),
  members: z.array(userRef).max(50).optional().describe(msg('group.args.members')),
  public: z.boolean().optional().describe(msg('group.args.public')),
  size: z.coerce.number().int().min(2).optional(),
});
const groupCreate: CommandSpec<typeof groupCreateArgs> = {
  summary: { zh_cn: '创建群聊', en_us: 'Create a group chat', ja_jp: 'グループチャットを作成' },
  usage: '/group create <name> [@成员…] [size=N] [--public]',
  examples: ['/group create 项目群', '/group create “Q3 产品 规划” size=10 --public'],
  args: groupCreateArgs,
  positionals: ['name'],
  mentions: 'members',
};
const contactAddArgs = z.object({ name: z.string(), email: z.email(msg('contact.args.emailFormat')) });
const contactAdd: CommandSpec<typeof contactAddArgs> = {
  summary: { zh_cn: '添加邮件联系人', en_us: 'Add a mail contact', ja_jp: 'メール連絡先を追加' },
  usage: '/contact add <name> email=<address>',
  examples: ['/contact add 王芳 email=wangfang@example.com'],
  args: contactAddArgs,
  positionals: ['name'],
};

const renameArgs = z.object({ name: z.string().min(1, msg('commands.args.required')).describe(msg('whoami.name')) });
const rename: CommandSpec<typeof renameArgs> = {
  summary: t('whoami.summary'),
  usage: '/rename <name>',
  examples: ['/rename 张伟'],
  args: renameArgs,
  positionals: ['name'],
};

function registry(): CommandRegistry {
  const r = new CommandRegistry();
  r.add('group create', groupCreate as unknown as CommandSpec, null);
  r.add('contact add', contactAdd as unknown as CommandSpec, null);
  return r;
}

function parsed(
  text: string,
  mentions = [{ key: '@_user_2', id: { open_id: 'ou_3f9a' }, name: '张伟' }],
): ParsedCommand {
  const r = parseCommand(text, { mentions, subcommands: registry().subcommands });
  if (!r.ok) throw new Error(`fixture does not parse: ${text}`);
  return r.command;
}

describe('command arguments', () => {
  it('maps positionals, mentions, options and flags onto typed fields', () => {
    expect(bindArgs(groupCreate, parsed('/group create “Q3 规划” @_user_2 size=12 --public'))).toEqual({
      ok: true,
      args: { name: 'Q3 规划', members: [{ openId: 'ou_3f9a', name: '张伟' }], size: 12, public: true },
    });
  });

  it('lists every problem at once, each naming its field, in each language', () => {
    const result = bindArgs(groupCreate, parsed('/group create size=1 colour=red'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const en = result.problems.map((p) => p.en_us);
    const zh = result.problems.map((p) => p.zh_cn);
    expect(en).toContain('name: is required (chat name)');
    expect(zh).toContain('name: 必填（群名称）');
    expect(
      en.some((p) => p.startsWith('unknown option "colour"') && p.includes('valid: name, members, public, size')),
    ).toBe(true);
    expect(en.some((p) => p.startsWith('size:'))).toBe(true);
    expect(result.problems).toHaveLength(3);
  });

  it("uses a schema's own message from the catalog, in every language", () => {
    expect(bindArgs(rename, parsed('/rename ""'))).toEqual({
      ok: false,
      problems: [{ zh_cn: 'name: 必填', en_us: 'name: is required', ja_jp: 'name: 必須です' }],
    });
    expect(describeArgs(rename as unknown as CommandSpec)).toEqual([
      { zh_cn: '<name>（必填）：姓名', en_us: '<name> (required): Name', ja_jp: '<name>（必須）：氏名' },
    ]);
  });

  it("renders a schema message's variables in every language", () => {
    expect(bindArgs(groupCreate, parsed(`/group create ${'x'.repeat(61)}`))).toEqual({
      ok: false,
      problems: [
        {
          zh_cn: 'name: 长度最多 60 个字符（现在 61 个）',
          en_us: 'name: must be at most 60 characters long (it is 61)',
          ja_jp: 'name: 60 文字以内で入力してください（現在 61 文字）',
        },
      ],
    });
  });

  it('refuses extra words, stray mentions and a field given twice', () => {
    const result = bindArgs(contactAdd, parsed('/contact add 王芳 李四 name=王芳 @_user_2 email=nope'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.en_us)).toEqual([
      'unexpected argument "李四"',
      'this command takes no @mentions',
      'name is given twice',
      'email: must be an address such as zhangsan@example.com',
    ]);
  });

  it('describes each argument from the schema for /help', () => {
    expect(describeArgs(groupCreate as unknown as CommandSpec)).toEqual([
      {
        zh_cn: '<name>（必填）：群名称',
        en_us: '<name> (required): chat name',
        ja_jp: '<name>（必須）：グループ名',
      },
      {
        zh_cn: '@members…（可选）：成员',
        en_us: '@members… (optional): members',
        ja_jp: '@members…（任意）：メンバー',
      },
      {
        zh_cn: '--public（可选）：公开群（可被搜索到）',
        en_us: '--public (optional): a public chat anyone can find',
        ja_jp: '--public（任意）：公開グループ（誰でも検索して見つけられます）',
      },
      { zh_cn: 'size=…（可选）', en_us: 'size=… (optional)', ja_jp: 'size=…（任意）' },
    ]);
  });
});

describe('command registry and help', () => {
  it('runs every spec example as written', () => {
    expect(registry().exampleProblems()).toEqual([]);
  });

  it('catches an example that does not validate', () => {
    const r = registry();
    r.add(
      'mailgroup create',
      { ...contactAdd, examples: ['/mailgroup create 运维组'] } as unknown as CommandSpec,
      null,
    );
    expect(r.exampleProblems()).toEqual([
      { command: 'mailgroup create', example: '/mailgroup create 运维组', problems: ['email: is required'] },
    ]);
  });

  it('resolves a missing or misspelt subcommand with suggestions', () => {
    const r = registry();
    expect(r.resolve(parsed('/group crate 项目群'))).toMatchObject({
      kind: 'needs_sub',
      name: 'group',
      typed: 'crate',
      suggestions: ['create'],
    });
    expect(r.resolve(parsed('/group'))).toMatchObject({ kind: 'needs_sub', subs: ['create'] });
    expect(r.resolve(parsed('/gruop create'))).toMatchObject({ kind: 'unknown', suggestions: ['group'] });
  });

  it('generates /help from the specs, and /help <command> with argument details', () => {
    const r = registry();
    const all = helpContent(r, []);
    expect(all).toEqual({
      ok: true,
      help: {
        commands: [
          { usage: groupCreate.usage, summary: groupCreate.summary, examples: [...groupCreate.examples] },
          { usage: contactAdd.usage, summary: contactAdd.summary, examples: [...contactAdd.examples] },
        ],
      },
    });
    const focus = helpContent(r, ['/Group', 'create']);
    expect(focus.ok && focus.help.focus?.details[0]).toMatchObject({
      zh_cn: '<name>（必填）：群名称',
      en_us: '<name> (required): chat name',
    });
    expect(helpContent(r, ['group'])).toMatchObject({ ok: true, help: { commands: [{ usage: groupCreate.usage }] } });
    expect(helpContent(r, ['contcat'])).toEqual({ ok: false, typed: 'contcat', suggestions: ['contact'] });
  });

  it('refuses a command registered twice or with a bad name', () => {
    const r = registry();
    expect(() => r.add('group create', groupCreate as unknown as CommandSpec, null)).toThrow(/registered twice/);
    expect(() => r.add('建群', groupCreate as unknown as CommandSpec, null)).toThrow(/lower-case letters/);
  });
});
