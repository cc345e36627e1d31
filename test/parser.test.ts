import { describe, expect, it } from 'vitest';
import {
  describeParseError,
  MAX_COMMAND_LENGTH,
  parseCommand,
  type Mention,
  type ParsedCommand,
  type ParseError,
} from '../src/commands/parse.js';
import { suggest } from '../src/commands/suggest.js';
import { LOCALES } from '../src/i18n.js';

const BOT = 'ou_bot7a1c3e5f';
const ZHANG = { openId: 'ou_3f9a2b7c1d', name: '张伟' };
const LI = { openId: 'ou_8e1d4c6b2a', name: '李娜' };
const mentions: Mention[] = [
  { key: '@_user_1', id: { open_id: BOT, union_id: 'on_bot' }, name: '运维助手 Ops Bot' },
  { key: '@_user_2', id: { open_id: ZHANG.openId }, name: ZHANG.name },
  { key: '@_user_3', id: { open_id: LI.openId }, name: LI.name },
  { key: '@_all', id: {}, name: '所有人' },
];
const SUBS: Record<string, string[]> = {
  group: ['create', 'add'],
  mailgroup: ['create', 'add'],
  contact: ['add'],
  draft: ['new', 'send'],
};
const NAMES = ['help', 'group', 'mailgroup', 'contact', 'draft', 'mail', 'onboard', 'login'];

type Row = {
  text: string;
  chatType?: 'p2p' | 'group';
  /** the expected command; omitted fields are empty */
  command?: Partial<ParsedCommand> & { name: string };
  error?: ParseError['kind'];
  /** did-you-mean for the parsed name */
  suggestions?: string[];
};

const rows: [string, Row][] = [
  ['plain /help', { text: '/help', command: { name: 'help' } }],
  ['upper-case name', { text: '/HELP', command: { name: 'help' } }],
  ['help with a topic', { text: '/Help group', command: { name: 'help', positionals: ['group'] } }],
  ['full-width slash', { text: '／help', command: { name: 'help' } }],
  ['leading bot mention stripped', { text: '@_user_1 /help', command: { name: 'help' } }],
  ['trailing bot mention stripped', { text: '/help @_user_1', command: { name: 'help' } }],
  ['bot mention glued to the command', { text: '@_user_1/help', command: { name: 'help' } }],
  ['only the bot mention', { text: '@_user_1', error: 'empty' }],
  ['empty text', { text: '', error: 'empty' }],
  ['only spaces incl. full-width', { text: '  \u3000 \t', error: 'empty' }],
  ['chat in a group', { text: 'hello there', error: 'not_command' }],
  ['bare help in p2p', { text: 'help', chatType: 'p2p', command: { name: 'help' } }],
  ['bare 帮助 in p2p', { text: '帮助', chatType: 'p2p', command: { name: 'help' } }],
  ['bare ヘルプ in p2p', { text: 'ヘルプ', chatType: 'p2p', command: { name: 'help' } }],
  ['bare full-width question mark in p2p', { text: '？', chatType: 'p2p', command: { name: 'help' } }],
  ['bare help in a group is chat', { text: 'help', chatType: 'group', error: 'not_command' }],
  ['help sentence in p2p is chat', { text: 'help me please', chatType: 'p2p', error: 'not_command' }],
  ['slash alone', { text: '/', error: 'missing_name' }],
  [
    'Chinese group name',
    { text: '/group create 项目群', command: { name: 'group', sub: 'create', positionals: ['项目群'] } },
  ],
  [
    'Chinese quotes and user mentions',
    {
      text: '@_user_1 /group create “Q3 产品 规划” @_user_2 @_user_3',
      command: { name: 'group', sub: 'create', positionals: ['Q3 产品 规划'], mentions: [ZHANG, LI] },
    },
  ],
  [
    'corner brackets',
    { text: '/group create 「运维 值班群」', command: { name: 'group', sub: 'create', positionals: ['运维 值班群'] } },
  ],
  [
    'white corner brackets',
    { text: '/group create 『年会 筹备』', command: { name: 'group', sub: 'create', positionals: ['年会 筹备'] } },
  ],
  [
    'single quotes',
    { text: "/group create 'ops team'", command: { name: 'group', sub: 'create', positionals: ['ops team'] } },
  ],
  [
    'curly single quotes',
    { text: '/group create ‘ops team’', command: { name: 'group', sub: 'create', positionals: ['ops team'] } },
  ],
  [
    'escaped double quote',
    {
      text: '/group create "ops \\"core\\" team"',
      command: { name: 'group', sub: 'create', positionals: ['ops "core" team'] },
    },
  ],
  [
    'full-width spaces between words',
    { text: '/group\u3000create\u3000项目群', command: { name: 'group', sub: 'create', positionals: ['项目群'] } },
  ],
  [
    'newline before a mention',
    {
      text: '/group create 项目群\n@_user_2',
      command: { name: 'group', sub: 'create', positionals: ['项目群'], mentions: [ZHANG] },
    },
  ],
  [
    'flag',
    {
      text: '/group create 项目群 --public',
      command: { name: 'group', sub: 'create', positionals: ['项目群'], flags: ['public'] },
    },
  ],
  [
    'IME em-dash flag',
    {
      text: '/group create 项目群 ——public',
      command: { name: 'group', sub: 'create', positionals: ['项目群'], flags: ['public'] },
    },
  ],
  [
    'quoted flag is a word',
    { text: '/group create "--public"', command: { name: 'group', sub: 'create', positionals: ['--public'] } },
  ],
  [
    'option with a mention value',
    {
      text: '/group create 项目群 owner=@_user_2',
      command: { name: 'group', sub: 'create', positionals: ['项目群'], options: { owner: ZHANG } },
    },
  ],
  [
    'quoted mention placeholder stays text',
    {
      text: '/group create 项目群 owner="@_user_2"',
      command: { name: 'group', sub: 'create', positionals: ['项目群'], options: { owner: '@_user_2' } },
    },
  ],
  [
    'quoted option values, ASCII and Chinese',
    {
      text: '/group create name="研发 一组" desc=“负责 核心 服务”',
      command: { name: 'group', sub: 'create', options: { name: '研发 一组', desc: '负责 核心 服务' } },
    },
  ],
  [
    'full-width equals',
    {
      text: '/group create 项目群 description＝测试群',
      command: { name: 'group', sub: 'create', positionals: ['项目群'], options: { description: '测试群' } },
    },
  ],
  [
    '--key=value option',
    {
      text: '/draft send --draft-id=d_8f2k',
      command: { name: 'draft', sub: 'send', options: { 'draft-id': 'd_8f2k' } },
    },
  ],
  [
    'mail group address and option',
    {
      text: '/mailgroup create team-ops@feishu-ops.example name=运维组',
      command: {
        name: 'mailgroup',
        sub: 'create',
        positionals: ['team-ops@feishu-ops.example'],
        options: { name: '运维组' },
      },
    },
  ],
  [
    'hyphenated flag',
    {
      text: '/contact add 王芳 email=wangfang@example.com --dry-run',
      command: {
        name: 'contact',
        sub: 'add',
        positionals: ['王芳'],
        options: { email: 'wangfang@example.com' },
        flags: ['dry-run'],
      },
    },
  ],
  [
    'repeated mention kept once',
    {
      text: '/group add oc_1 @_user_2 @_user_2',
      command: { name: 'group', sub: 'add', positionals: ['oc_1'], mentions: [ZHANG] },
    },
  ],
  [
    '@all stays text',
    { text: '/group create 项目群 @_all', command: { name: 'group', sub: 'create', positionals: ['项目群', '@_all'] } },
  ],
  [
    'unknown placeholder stays text',
    {
      text: '/group create 项目群 @_user_9',
      command: { name: 'group', sub: 'create', positionals: ['项目群', '@_user_9'] },
    },
  ],
  [
    'apostrophe inside a name',
    { text: "/contact add O'Brien", command: { name: 'contact', sub: 'add', positionals: ["O'Brien"] } },
  ],
  [
    'URL as option value',
    {
      text: '/mail link=https://x.example/a?b=c',
      command: { name: 'mail', options: { link: 'https://x.example/a?b=c' } },
    },
  ],
  [
    'URL as positional',
    { text: '/mail https://x.example/a?b=c', command: { name: 'mail', positionals: ['https://x.example/a?b=c'] } },
  ],
  [
    'upper-case subcommand',
    { text: '/GROUP CREATE 项目群', command: { name: 'group', sub: 'create', positionals: ['项目群'] } },
  ],
  ['mentioned but chatting', { text: '@_user_1 @_user_2 你好', error: 'not_command' }],
  ['unclosed ASCII quote', { text: '/group create "未闭合', error: 'unterminated_quote' }],
  ['unclosed Chinese quote', { text: '/group create “未闭合', error: 'unterminated_quote' }],
  ['unclosed corner bracket', { text: '/group create 「未闭合', error: 'unterminated_quote' }],
  ['option given twice', { text: '/mail to=a@x.example to=b@x.example', error: 'duplicate_option' }],
  ['very long input', { text: `/group create ${'很长'.repeat(MAX_COMMAND_LENGTH)}`, error: 'too_long' }],
  [
    'long but fine name',
    {
      text: `/group create ${'群'.repeat(200)}`,
      command: { name: 'group', sub: 'create', positionals: ['群'.repeat(200)] },
    },
  ],
  [
    'typo: transposed letters',
    {
      text: '/gorup create 项目群',
      command: { name: 'gorup', positionals: ['create', '项目群'] },
      suggestions: ['group'],
    },
  ],
  [
    'typo: missing letter',
    { text: '/mailgrop create', command: { name: 'mailgrop', positionals: ['create'] }, suggestions: ['mailgroup'] },
  ],
  ['typo: swapped in help', { text: '/hlep', command: { name: 'hlep' }, suggestions: ['help'] }],
  [
    'typo: contact',
    { text: '/contcat add 王芳', command: { name: 'contcat', positionals: ['add', '王芳'] }, suggestions: ['contact'] },
  ],
  ['typo: abbreviation', { text: '/grp', command: { name: 'grp' }, suggestions: ['group'] }],
  ['prefix: mailg, closest first', { text: '/mailg', command: { name: 'mailg' }, suggestions: ['mail', 'mailgroup'] }],
  ['nonsense has no suggestion', { text: '/xyzzy', command: { name: 'xyzzy' }, suggestions: [] }],
];

describe('command parser table', () => {
  it('has at least 40 rows', () => expect(rows.length).toBeGreaterThanOrEqual(40));

  it.each(rows)('%s', (_label, row) => {
    const result = parseCommand(row.text, {
      mentions,
      botOpenId: BOT,
      chatType: row.chatType ?? 'group',
      subcommands: (n) => SUBS[n] ?? [],
    });
    if (row.error) {
      expect(result).toMatchObject({ ok: false, error: { kind: row.error } });
      if (!result.ok) {
        const text = describeParseError(result.error);
        for (const locale of LOCALES) expect(text[locale]).not.toBe('');
      }
      return;
    }
    expect(result).toEqual({
      ok: true,
      command: { positionals: [], options: {}, flags: [], mentions: [], ...row.command },
    });
    if (row.suggestions && result.ok) expect(suggest(result.command.name, NAMES)).toEqual(row.suggestions);
  });

  it('reports where an unclosed quote starts and which character closes it', () => {
    expect(parseCommand('/group create “未闭合')).toEqual({
      ok: false,
      error: { kind: 'unterminated_quote', quote: '“', close: '”', index: 14 },
    });
  });
});
