import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineAction } from '../src/actions.js';
import { checkContent } from '../src/emulator/cards.js';
import { FeishuError } from '../src/feishu/errors.js';
import * as cards from '../cards/index.js';
import {
  cardBytes,
  errorCard,
  feishuErrorCard,
  escapeMd,
  helpCard,
  MAX_CARD_BYTES,
  progressCard,
  successCard,
  welcomeCard,
  type Card,
} from '../cards/index.js';
import { CUT_NOTE } from '../cards/kit.js';
import { same, setDefaultLocale, t, type Text } from '../src/i18n.js';
import { cardBuilders, cardCases } from './helpers/card-cases.js';
import { cardText, textIn } from './helpers/card-text.js';

const TEMPLATES = new Set([
  'blue',
  'wathet',
  'turquoise',
  'green',
  'yellow',
  'orange',
  'red',
  'carmine',
  'violet',
  'purple',
  'indigo',
  'grey',
  'default',
]);

/** The rules of Feishu "卡片 JSON 2.0 结构"; returns every violation found. */
function violations(card: Card): string[] {
  const out: string[] = [];
  const c = card as {
    schema?: unknown;
    config?: { update_multi?: unknown };
    header?: { title?: { tag?: unknown; content?: unknown }; template?: unknown };
    body?: { elements?: unknown };
  };
  if (c.schema !== '2.0') out.push('schema must be "2.0"');
  if (c.config?.update_multi !== true) out.push('config.update_multi must be true');
  if (c.header?.title?.tag !== 'plain_text' || typeof c.header.title.content !== 'string')
    out.push('header.title must be plain_text');
  if (!TEMPLATES.has(String(c.header?.template))) out.push(`bad header template ${String(c.header?.template)}`);
  if (!Array.isArray(c.body?.elements)) return [...out, 'body.elements must be an array'];
  const elements = c.body.elements as Record<string, unknown>[];
  if (elements.length > 200) out.push(`${elements.length} elements > 200`);
  const ids = new Set<string>();
  for (const el of elements) {
    if (el.tag === 'action') out.push('tag "action" is not allowed in 2.0');
    if (el.element_id !== undefined) {
      const id = String(el.element_id);
      if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(id) || id.length > 20) out.push(`bad element_id ${id}`);
      if (ids.has(id)) out.push(`duplicate element_id ${id}`);
      ids.add(id);
    }
    if (el.tag === 'markdown' && typeof el.content !== 'string') out.push('markdown without content');
    if (el.tag === 'button') {
      const b = el.behaviors as { type?: string; value?: { action?: unknown }; default_url?: unknown }[] | undefined;
      const link = b?.[0]?.type === 'open_url' && typeof b[0].default_url === 'string';
      if (!link && (!b?.length || b[0]?.type !== 'callback' || typeof b[0].value?.action !== 'string'))
        out.push('button without a callback action');
    }
  }
  if (cardBytes(card) > MAX_CARD_BYTES) out.push(`card is ${cardBytes(card)} bytes > 30 KB`);
  // The emulator's own check, as message create would apply it.
  const emulator = checkContent('interactive', JSON.stringify(card));
  if (!emulator.ok) out.push(`emulator: ${emulator.problem.detail}`);
  return out;
}

const buttons = (card: Card) =>
  (card.body as { elements: Record<string, unknown>[] }).elements.filter((e) => e.tag === 'button') as {
    text: { content: string };
    type: string;
    confirm?: unknown;
    behaviors: { value: Record<string, unknown> }[];
  }[];

describe('status cards', () => {
  it('the validator catches what Feishu would refuse', () => {
    const bad = {
      schema: '2.0',
      config: {},
      header: { title: { tag: 'plain_text', content: 't' }, template: 'pink' },
      body: {
        elements: [
          { tag: 'action', element_id: '1x' },
          { tag: 'button', element_id: 'b' },
          { tag: 'button', element_id: 'b' },
        ],
      },
    };
    // Not a Card, and the types say so (see "card types"): forced past them to show the runtime check on its own.
    expect(violations(bad as unknown as Card)).toEqual(
      expect.arrayContaining([
        'config.update_multi must be true',
        'bad header template pink',
        'tag "action" is not allowed in 2.0',
        'bad element_id 1x',
        'duplicate element_id b',
        'button without a callback action',
      ]),
    );
  });

  const title = same('Group chat created');

  it('builds a valid green success card: each text in every language, the default in content', () => {
    const card = successCard({
      title: t('card.problems'),
      summary: t('card.andMore', { count: 3 }),
      fields: [{ label: t('card.reference'), value: '运维 Ops' }],
      note: t('card.nextStep'),
    });
    expect(violations(card)).toEqual([]);
    expect((card.header as { template: string }).template).toBe('green');
    expect(card.header?.title).toEqual({
      tag: 'plain_text',
      content: '问题',
      i18n_content: { zh_cn: '问题', en_us: 'Problems', ja_jp: '問題' },
    });
    expect(card.config.locales).toEqual(['zh_cn', 'en_us', 'ja_jp']);
    expect(card.config.summary?.i18n_content?.ja_jp).toBe('問題');
    expect(textIn(card, 'zh_cn')).toContain('**参考编号**：运维 Ops');
    expect(textIn(card, 'en_us')).toContain('**Reference**：运维 Ops');
    expect(textIn(card, 'ja_jp')).toContain('ほか 3 件');
    // The only Chinese an English reader sees is the value the user gave.
    expect(textIn(card, 'en_us').replace('运维 Ops', '')).not.toMatch(/\p{Script=Han}/u);
  });

  it('puts the configured default language in content, every language still in i18n_content', () => {
    try {
      setDefaultLocale('ja_jp');
      const card = successCard({ title: t('card.problems') });
      expect(card.header?.title.content).toBe('問題');
      expect(card.header?.title.i18n_content).toEqual({ ja_jp: '問題', zh_cn: '问题', en_us: 'Problems' });
      expect(card.config.locales).toEqual(['ja_jp', 'zh_cn', 'en_us']);
    } finally {
      setDefaultLocale('zh_cn');
    }
  });

  it('gives each button the callback value { action, ...args }, its label and confirm in every language', () => {
    const card = successCard({
      title,
      actions: [
        defineAction('draft.send', z.object({ draftId: z.string(), count: z.number(), urgent: z.boolean() })).button(
          { draftId: 'd1', count: 2, urgent: false },
          { label: t('card.example'), style: 'primary' },
        ),
        defineAction('draft.delete', z.object({})).button(
          {},
          { label: t('card.problems'), style: 'danger', confirm: t('card.nextStep') },
        ),
      ],
    });
    expect(violations(card)).toEqual([]);
    const [send, del] = buttons(card);
    expect(send?.behaviors[0]?.value).toEqual({ action: 'draft.send', draftId: 'd1', count: 2, urgent: false });
    expect(send?.type).toBe('primary');
    expect(send?.text).toMatchObject({ content: '示例', i18n_content: { en_us: 'Example', ja_jp: '例' } });
    expect(del?.behaviors[0]?.value).toEqual({ action: 'draft.delete' });
    expect(del?.confirm).toEqual({
      title: {
        tag: 'plain_text',
        content: '请确认',
        i18n_content: { zh_cn: '请确认', en_us: 'Please confirm', ja_jp: '確認してください' },
      },
      text: {
        tag: 'plain_text',
        content: '下一步',
        i18n_content: { zh_cn: '下一步', en_us: 'Next step', ja_jp: '次の手順' },
      },
    });
  });

  it('keeps a 2,000-item list under 30 KB and ends it with "and N more" in each language', () => {
    const items = Array.from({ length: 2000 }, (_, i) => `member-${i}@feishu-ops.example`);
    const card = successCard({ title, list: { label: t('card.problems'), items } });
    expect(violations(card)).toEqual([]);
    const list = textIn(card, 'en_us').split('\n');
    const shown = list.filter((l) => l.startsWith('- ')).length;
    expect(shown).toBeGreaterThan(0);
    expect(list.at(-1)).toContain(`and ${2000 - shown} more`);
    expect(textIn(card, 'zh_cn')).toContain(`还有 ${2000 - shown} 项`);
  });

  it('cuts a list by size when its items are long', () => {
    const items = Array.from({ length: 300 }, (_, i) => `${i}-${'长'.repeat(400)}`);
    const card = successCard({ title, list: { label: t('card.problems'), items } });
    expect(violations(card)).toEqual([]);
    expect(cardBytes(card)).toBeLessThanOrEqual(MAX_CARD_BYTES);
    expect(textIn(card, 'ja_jp')).toMatch(/ほか \d+ 件/);
  });

  it('escapes user text so markdown and <at> tags stay literal', () => {
    const card = successCard({
      title,
      fields: [{ label: same('**Name**'), value: '**boss** <at id="all"></at> [x](http://e)' }],
    });
    const all = cardText(card);
    expect(all).not.toContain('**boss**');
    expect(all).not.toContain('**Name**');
    expect(all).not.toContain('<at');
    expect(all).not.toContain('](');
    expect(escapeMd('a*b<c')).toBe('a&#42;b&#60;c');
  });

  it('builds a red error card with code, next step, example and reference', () => {
    const card = errorCard({
      title: same('Mail group not created'),
      problems: [same('This address is already in use.')],
      code: 1234006,
      nextStep: same('Pick another address.'),
      example: '/mailgroup create team-2@feishu-ops.example',
      reference: '20261121ABC',
    });
    expect(violations(card)).toEqual([]);
    expect((card.header as { template: string }).template).toBe('red');
    for (const [locale, parts] of [
      ['zh_cn', ['错误码：**1234006**', '**下一步**', '**示例**', '参考编号：20261121ABC']],
      ['en_us', ['Code: **1234006**', '**Next step**', '**Example**', 'Reference：20261121ABC']],
      ['ja_jp', ['エラーコード：**1234006**', '**次の手順**', '**例**', '参照番号：20261121ABC']],
    ] as const) {
      const all = textIn(card, locale);
      for (const part of [...parts, 'This address is already in use', '/mailgroup create team-2@feishu-ops.example'])
        expect(all, locale).toContain(part);
    }
  });

  it('explains a FeishuError from the error table, with its code and log id', () => {
    const e = new FeishuError({
      code: 1234006,
      msg: 'email address has been used',
      endpoint: 'mailgroup.create',
      httpStatus: 409,
      logId: 'LOG1',
    });
    const card = feishuErrorCard(same('Mail group not created'), e);
    expect(violations(card)).toEqual([]);
    expect(textIn(card, 'zh_cn')).toContain('该邮箱地址已被占用');
    expect(textIn(card, 'en_us')).toContain('already in use');
    for (const part of ['1234006', 'LOG1']) expect(cardText(card)).toContain(part);
  });

  it('lists many problems with a count and "and N more"', () => {
    const problems = Array.from({ length: 50 }, (_, i) => same(`Line ${i} is wrong`));
    const card = errorCard({ title: same('Invalid input'), problems });
    expect(violations(card)).toEqual([]);
    expect(textIn(card, 'en_us')).toContain('**Problems**（50）');
    expect(textIn(card, 'en_us')).toMatch(/and 30 more/);
    expect(textIn(card, 'zh_cn')).toMatch(/还有 30 项/);
  });

  it('shows each progress step with its state and colours the header by outcome', () => {
    const steps = [
      { label: same('Create chat'), state: 'done' as const },
      { label: same('Add members'), state: 'running' as const, detail: '12/40' },
      { label: same('Send welcome'), state: 'pending' as const },
    ];
    const running = progressCard({ title: same('Onboarding'), steps });
    expect(violations(running)).toEqual([]);
    expect((running.header as { template: string }).template).toBe('wathet');
    expect(textIn(running, 'en_us')).toContain('✅ Create chat');
    expect(textIn(running, 'en_us')).toContain('🔄 Add members');
    expect(textIn(running, 'zh_cn')).toContain('**进度**：1/3');
    expect(textIn(running, 'ja_jp')).toContain('**進捗**：1/3');
    const failed = progressCard({
      title: same('Onboarding'),
      steps: [...steps.slice(0, 1), { ...steps[1]!, state: 'failed' }],
    });
    expect((failed.header as { template: string }).template).toBe('red');
    const finished = progressCard({
      title: same('Onboarded'),
      steps: steps.map((s) => ({ ...s, state: 'done' as const })),
    });
    expect((finished.header as { template: string }).template).toBe('green');
  });

  it('builds an indigo help card listing commands, and a focused one', () => {
    const commands = [
      {
        usage: '/group create <name> [@members…]',
        summary: { zh_cn: '创建群聊', en_us: 'Create a group chat', ja_jp: 'グループチャットを作成' },
        examples: ['/group create 运维 @张伟'],
      },
      {
        usage: '/mailgroup create <email>',
        summary: { zh_cn: '创建邮件组', en_us: 'Create a mail group', ja_jp: 'メールグループを作成' },
        examples: [],
      },
    ];
    const card = helpCard({ commands });
    expect(violations(card)).toEqual([]);
    expect((card.header as { template: string }).template).toBe('indigo');
    expect(textIn(card, 'zh_cn')).toContain('使用帮助');
    expect(textIn(card, 'zh_cn')).toContain('创建群聊\n');
    expect(textIn(card, 'zh_cn')).toContain('例：/group create 运维 @张伟');
    expect(textIn(card, 'zh_cn')).not.toContain('Create a group chat');
    expect(textIn(card, 'en_us')).toContain('Create a group chat');
    expect(textIn(card, 'en_us')).toContain('e.g. /group create 运维 @张伟');
    expect(textIn(card, 'ja_jp')).toContain('メールグループを作成');
    expect(textIn(card, 'en_us')).toContain('&#60;name&#62;');
    const focused = helpCard({
      commands,
      focus: {
        ...commands[0]!,
        details: [{ zh_cn: '最多 50 人', en_us: 'Up to 50 people', ja_jp: '最大 50 人' }],
      },
    });
    expect(violations(focused)).toEqual([]);
    expect(textIn(focused, 'zh_cn')).toContain('帮助：/group');
    expect(textIn(focused, 'en_us')).toContain('Help: /group');
    expect(textIn(focused, 'ja_jp')).toContain('ヘルプ：/group');
    expect(textIn(focused, 'zh_cn')).toContain('最多 50 人');
    expect(textIn(focused, 'en_us')).toContain('**Examples**');
  });

  it('builds an indigo welcome card naming the bot', () => {
    const card = welcomeCard({
      botName: '运维助手',
      commands: [{ usage: '/help', summary: { zh_cn: '查看帮助', en_us: 'Show help', ja_jp: 'ヘルプを表示' } }],
    });
    expect(violations(card)).toEqual([]);
    expect((card.header as { template: string }).template).toBe('indigo');
    expect(textIn(card, 'zh_cn')).toContain('你好，我是运维助手');
    expect(textIn(card, 'en_us')).toContain("Hi, I'm 运维助手");
    expect(textIn(card, 'ja_jp')).toContain('こんにちは、运维助手 です');
    expect(textIn(card, 'en_us')).toContain('Show help');
    expect(textIn(card, 'zh_cn')).toContain('查看帮助');
  });
});

describe("cards under Feishu's 30 KB", () => {
  /** 150,000 characters that grow when escaped (`*` and `<` become entities) and in UTF-8 (三 bytes a 长). */
  const huge = (tag: string) => `${tag} ${'长*<at>'.repeat(25_000)}`;
  const big: Text = { zh_cn: huge('中'), en_us: huge('en'), ja_jp: huge('日') };
  const many = (n: number, size: number) => Array.from({ length: n }, (_, i) => `${i} ${'长*'.repeat(size / 2)}`);
  const button = defineAction('test.huge', z.object({ n: z.number() })).button(
    { n: 1 },
    { label: big, style: 'primary', confirm: big },
  );
  /** Every card builder, with the largest inputs a user, the directory or a handler could hand it. */
  const HUGE = cardCases({
    text: huge,
    words: big,
    /** For the entries of long lists: 2,000 characters each. */
    item: { zh_cn: many(1, 2_000)[0]!, en_us: many(1, 2_000)[0]!, ja_jp: many(1, 2_000)[0]! },
    many,
    button,
    error: { code: 230025, logId: huge('log'), explain: () => ({ problem: big, nextStep: big }) },
  });

  it('has a huge case for every card builder', () => {
    expect(Object.keys(HUGE).sort()).toEqual(cardBuilders().sort());
  });

  it.each(Object.keys(HUGE))('%s stays within 30 KB and valid however large its inputs', (name) => {
    const card = HUGE[name]!();
    expect(violations(card)).toEqual([]);
    expect(cardBytes(card)).toBeLessThanOrEqual(MAX_CARD_BYTES);
  });

  it('edits a draft with inputs Feishu accepts (at most 1,000 characters), showing a longer body instead', () => {
    const small = defineAction('test.small', z.object({})).button(
      {},
      { label: { zh_cn: '保存', en_us: 'Save', ja_jp: 'Save' } },
    );
    const card = cards.draftEditCard({
      to: 'a@example.com',
      cc: '',
      bcc: '',
      subject: 'Hi',
      body: '长'.repeat(1_500),
      save: small,
      cancel: small,
    });
    expect(violations(card)).toEqual([]);
    const inputs = JSON.stringify(card).match(/"max_length":\d+/g) ?? [];
    expect(inputs).toEqual(Array(4).fill('"max_length":1000'));
    expect(JSON.stringify(card)).toMatch(/1,500 characters, too long to edit on a card/);
    // The emulator refuses an input that takes more, as Feishu does.
    const wider = JSON.stringify(card).replace(/"max_length":1000/, '"max_length":5000');
    expect(checkContent('interactive', wider)).toMatchObject({ ok: false });
  });

  it('cuts the longest texts of a card over 30 KB, says so, and keeps its buttons whole', () => {
    const example = `/draft to=a@example.com ${'正文'.repeat(20_000)}`;
    const card = errorCard({ title: same('Too long'), problems: [same('Problem')], example });
    expect(violations(card)).toEqual([]);
    for (const locale of ['zh_cn', 'en_us', 'ja_jp'] as const) {
      const all = textIn(card, locale);
      expect(all).toContain(t(CUT_NOTE)[locale]);
      expect(all).toContain('/draft to=a@example.com 正文正文');
      expect(all).not.toContain(example);
      expect(all).toContain('Problem');
    }

    const withButton = successCard({
      title: same('Long'),
      summary: { zh_cn: '长'.repeat(40_000), en_us: 'long', ja_jp: 'long' },
      actions: [button],
    });
    expect(violations(withButton)).toEqual([]);
    expect(buttons(withButton)[0]?.behaviors[0]?.value).toEqual({ action: 'test.huge', n: 1 });
    expect(textIn(withButton, 'en_us')).toContain(t(CUT_NOTE).en_us);
  });

  it('leaves a card within 30 KB as it was built', () => {
    const card = successCard({
      title: same('Short'),
      summary: { zh_cn: '长'.repeat(400), en_us: 'short enough', ja_jp: 'short enough' },
    });
    expect(cardText(card)).not.toContain(t(CUT_NOTE).en_us);
    expect(textIn(card, 'zh_cn')).toContain('长'.repeat(400));
  });
});

describe('card types', () => {
  const header = { title: { tag: 'plain_text', content: '类型 · Types' }, template: 'blue' } as const;
  const card = (elements: Card['body']['elements']): Card => ({
    schema: '2.0',
    config: { update_multi: true },
    header,
    body: { elements },
  });

  it('do not compile with a misspelt tag or what card JSON 2.0 dropped or refuses', () => {
    // The `@ts-expect-error` lines are checked by tsc (npm run lint): if one of them compiled, tsc would fail on it.
    const _compileOnly = () => [
      // @ts-expect-error a misspelt tag
      card([{ tag: 'markdwon', content: '**x**' }]),
      // @ts-expect-error 1.0's action module: 2.0 puts buttons straight into elements
      card([{ tag: 'action', actions: [] }]),
      // @ts-expect-error 1.0's note component, which 2.0 dropped
      card([{ tag: 'note', elements: [{ tag: 'plain_text', content: '备注 · note' }] }]),
      // @ts-expect-error 1.0's markdown href links, which 2.0 dropped: 2.0 refuses a property it does not know
      card([{ tag: 'markdown', content: '[x]($u)', href: { u: { url: 'https://example.com' } } }]),
      // @ts-expect-error a form inside a form
      card([{ tag: 'form', name: 'outer', elements: [{ tag: 'form', name: 'inner', elements: [] }] }]),
      // @ts-expect-error a per-user card: 2.0 cards are shared only
      { schema: '2.0', config: { update_multi: false }, body: { elements: [] } } satisfies Card,
      // @ts-expect-error a 1.0 card, its elements outside a body
      { schema: '2.0', config: { update_multi: true }, elements: [] } satisfies Card,
    ];
    expectTypeOf(_compileOnly).toBeFunction();
    // Still plain JSON where the gateway sends it.
    expectTypeOf<Card>().toExtend<Record<string, unknown>>();
    // What the types refuse, Feishu refuses: the emulator answers the action module with Feishu's sub-code.
    const v1 = { schema: '2.0', config: { update_multi: true }, body: { elements: [{ tag: 'action', actions: [] }] } };
    expect(checkContent('interactive', JSON.stringify(v1))).toMatchObject({
      ok: false,
      problem: { kind: 'card', subCode: 200861 },
    });
  });
});
