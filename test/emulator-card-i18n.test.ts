/**
 * Card languages in the emulator ("配置卡片多语言"): a card's per-language texts are kept as sent and checked as Feishu
 * checks them (keys among the 16 card languages, values strings; `config.locales` a list of those), and each user has
 * a Feishu client language the console renders cards in.
 */
import { describe, expect, it } from 'vitest';
import { control, emulatorRequest, rejection, useEmulator } from './helpers/emulator.js';

const h = useEmulator();

const zhang = () => h.emu.state.users[0]!;
const text = (zh_cn: string, en_us: string, ja_jp: string) => ({
  tag: 'plain_text',
  content: zh_cn,
  i18n_content: { zh_cn, en_us, ja_jp },
});

/** A card with a per-language text in every place a card has one. */
const multilingual = () => ({
  schema: '2.0',
  config: {
    update_multi: true,
    summary: { content: '群聊已创建', i18n_content: { zh_cn: '群聊已创建', en_us: 'Group chat created' } },
    locales: ['zh_cn', 'en_us', 'ja_jp'],
  },
  header: { title: text('群聊已创建', 'Group chat created', 'グループチャットを作成しました'), template: 'green' },
  body: {
    elements: [
      {
        tag: 'markdown',
        content: '**成员**',
        i18n_content: { zh_cn: '**成员**', en_us: '**Members**', ja_jp: '**メンバー**' },
      },
      {
        tag: 'form',
        name: 'f',
        elements: [
          {
            tag: 'input',
            name: 'name',
            label: text('名称', 'Name', '名前'),
            placeholder: text('填写名称', 'Enter a name', '名前を入力'),
            default_value: '运维组',
            i18n_default_value: { zh_cn: '运维组', en_us: 'Ops team', ja_jp: '運用チーム' },
          },
          {
            tag: 'select_static',
            name: 'who',
            placeholder: text('谁可以发信', 'Who can send', '送信できる人'),
            options: [{ text: text('任何人', 'Anyone', '誰でも'), value: 'anyone' }],
          },
          {
            tag: 'button',
            name: 'submit_1',
            form_action_type: 'submit',
            text: text('创建', 'Create', '作成'),
            confirm: {
              title: text('请确认', 'Please confirm', '確認してください'),
              text: text('创建吗？', 'Create?', '作成しますか？'),
            },
            // A callback value is the bot's own data: keys like these are not languages and are not checked.
            behaviors: [{ type: 'callback', value: { action: 'x', i18n_content: { anything: 1 } } }],
          },
        ],
      },
    ],
  },
});

async function p2pChatId(): Promise<string> {
  const res = await h.client.im.v1.message.create({
    params: { receive_id_type: 'open_id' },
    data: { receive_id: zhang().open_id, msg_type: 'text', content: JSON.stringify({ text: 'hi' }) },
  });
  return res.data!.chat_id!;
}

const send = async (card: unknown) =>
  h.client.im.v1.message.create({
    params: { receive_id_type: 'chat_id' },
    data: { receive_id: await p2pChatId(), msg_type: 'interactive', content: JSON.stringify(card) },
  });

/** The card with `change` applied to a fresh copy. */
const broken = (change: (card: ReturnType<typeof multilingual>) => void) => {
  const card = multilingual();
  change(card);
  return card;
};

const BROKEN: [string, ReturnType<typeof multilingual>, RegExp][] = [
  [
    'a language Feishu does not have',
    broken((c) => Object.assign(c.header.title.i18n_content, { en: 'Group chat created' })),
    /card\.header\.title\.i18n_content has "en", which is not a card language/,
  ],
  [
    'a text that is not a string',
    broken((c) => Object.assign(c.body.elements[0]!, { i18n_content: { zh_cn: '成员', en_us: 3 } })),
    /card\.body\.elements\[0\]\.i18n_content\.en_us must be a string/,
  ],
  [
    'i18n_content that is not an object',
    broken((c) => Object.assign(c.config.summary, { i18n_content: 'Group chat created' })),
    /card\.config\.summary\.i18n_content must be an object/,
  ],
  [
    'an input default in an unknown language',
    broken((c) => Object.assign(c.body.elements[1]!.elements![0]!, { i18n_default_value: { english: 'Ops team' } })),
    /i18n_default_value has "english"/,
  ],
  [
    'config.locales naming an unknown language',
    broken((c) => Object.assign(c.config, { locales: ['zh_cn', 'en'] })),
    /config\.locales must be an array of card languages/,
  ],
  [
    'config.locales that is not a list',
    broken((c) => Object.assign(c.config, { locales: 'zh_cn' })),
    /config\.locales must be an array/,
  ],
];

describe('card languages', () => {
  it('accepts per-language texts in the header, body, buttons, confirm dialogs, forms and summary, and keeps the card as sent', async () => {
    const card = multilingual();
    const sent = await send(card);
    const stored = h.emu.state.messages.get(sent.data!.message_id!)!;
    expect(stored.card).toEqual(card);
    const read = await h.client.im.v1.message.get({ path: { message_id: sent.data!.message_id! } });
    expect(JSON.parse(read.data!.items![0]!.body!.content!)).toEqual(card);
  });

  it.each(BROKEN)('refuses a card with %s (230099, sub-code 200621)', async (_what, card, detail) => {
    const refused = await rejection(send(card));
    expect(refused.code).toBe(230099);
    expect(refused.msg).toContain('200621');
    expect(refused.msg).toMatch(detail);
  });

  it('checks the languages of a card on reply, patch and delayed update too, and keeps the card it had', async () => {
    const first = await send(multilingual());
    const messageId = first.data!.message_id!;
    const [, bad] = BROKEN[0]!;
    const reply = await rejection(
      h.client.im.v1.message.reply({
        path: { message_id: messageId },
        data: { msg_type: 'interactive', content: JSON.stringify(bad) },
      }),
    );
    expect([reply.code, reply.msg]).toEqual([230099, expect.stringContaining('200621')]);
    const patch = await rejection(
      h.client.im.v1.message.patch({ path: { message_id: messageId }, data: { content: JSON.stringify(bad) } }),
    );
    expect(patch.code).toBe(230099);
    const update = await rejection(
      h.client.request({
        method: 'POST',
        url: '/open-apis/interactive/v1/card/update',
        data: { token: h.emu.state.issueCardToken(messageId), card: bad },
      }),
    );
    expect(update.code).toBe(99992402);
    expect(JSON.stringify(update.data)).toContain('not a card language');
    expect(h.emu.state.messages.get(messageId)?.card).toEqual(multilingual());
  });

  it("keeps each user's Feishu client language: Simplified Chinese until set, any card language, back after reset", async () => {
    const languages = async () =>
      ((await control(h.emu, 'state')) as { clientLanguages: Record<string, string> }).clientLanguages;
    expect((await languages())[zhang().open_id]).toBe('zh_cn');
    expect(await control(h.emu, 'client-language', { user: zhang().email, language: 'ja_jp' })).toEqual({
      user: zhang().open_id,
      language: 'ja_jp',
    });
    expect((await languages())[zhang().open_id]).toBe('ja_jp');
    expect(h.emu.state.clientLanguage(h.emu.state.users[1]!.open_id)).toBe('zh_cn');

    const unknown = await emulatorRequest(h.emu, 'POST', '/_emulator/client-language', {
      user: zhang().open_id,
      language: 'english',
    });
    expect(unknown.status).toBe(400);
    expect(String(unknown.body.error)).toContain('language');
    const nobody = await emulatorRequest(h.emu, 'POST', '/_emulator/client-language', {
      user: 'ou_nobody',
      language: 'en_us',
    });
    expect([nobody.status, nobody.body.error]).toEqual([400, expect.stringContaining('no user ou_nobody')]);

    await control(h.emu, 'reset', {});
    expect((await languages())[zhang().open_id]).toBe('zh_cn');
  });
});
