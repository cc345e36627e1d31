/**
 * Cards a person can read, end to end through the emulator: people and chats by name rather than raw ids, no empty
 * rows, an error's title saying what happened, no example that repeats what content review refused, and a draft's
 * preview that keeps the body's lines and Markdown.
 */
import MarkdownIt from 'markdown-it';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '../src/emulator/state.js';
import { browserSignIn, signInLink } from './helpers/auth.js';
import { onboardingSandbox } from './helpers/onboarding.js';
import { eventually, readCard, userNamed } from './helpers/provisioning.js';
import { testSandbox, textIn } from './helpers/sandbox.js';

/** An open_id, chat id or message id as Feishu makes them. */
const RAW_ID = /\b(ou|oc|om|on)_[0-9a-f]{8,}/;
/** What a reader sees of a card: its texts, without the values its buttons send back. */
const visible = (card: unknown): string =>
  readCard(JSON.parse(JSON.stringify(card, (k, v: unknown) => (k === 'behaviors' ? undefined : v))));

let world: Awaited<ReturnType<typeof onboardingSandbox>>;
let sb: Awaited<ReturnType<typeof testSandbox>>;
beforeAll(async () => {
  [world, sb] = await Promise.all([onboardingSandbox(), testSandbox()]);
});
afterAll(async () => {
  await Promise.all([world?.sb.close(), sb?.close()]);
});

async function reply(box: typeof sb, text: string, from: string): Promise<Message> {
  const messageId = await box.say(from, text);
  const [answer] = await box.replies(messageId);
  if (!answer) throw new Error(`no reply to ${text}`);
  return answer;
}

describe('onboarding cards', () => {
  it('name the chats and the person who started the run, and show no empty row', async () => {
    const { sb: osb, tokens } = world;
    await tokens.signIn(userNamed(osb.emulator, '陈静'));
    const planCard = (await reply(osb, '/onboard @刘洋 --dry-run', '张伟')).card;
    expect(readCard(planCard)).toContain('刘洋 → 全员群 All hands');
    expect(visible(planCard)).not.toMatch(RAW_ID);

    const startedCard = (await reply(osb, '/onboard @刘洋', '张伟')).card;
    const started = readCard(startedCard);
    expect(textIn(startedCard, 'zh_cn')).toContain('**已开始**：刘洋');
    expect(textIn(startedCard, 'en_us')).toContain('**Started**：刘洋');
    expect(started).not.toContain('Already onboarded');
    expect(started).not.toContain('—');
    const again = readCard((await reply(osb, '/onboard @刘洋', '张伟')).card);
    expect(again).toContain('Already onboarded (nothing repeated)**：刘洋');
    expect(again).not.toContain('Started');

    const progressCard = await eventually(() => {
      const card = [...osb.emulator.state.messages.values()]
        .filter((m) => m.sender.type === 'app' && m.card)
        .map((m) => m.card)
        .find((c) => readCard(c).includes('入职流程：刘洋') && readCard(c).includes('6/6'));
      if (!card) throw new Error('the progress card is not finished yet');
      return card;
    });
    const progress = readCard(progressCard);
    expect(textIn(progressCard, 'zh_cn')).toContain('**触发**：/onboard · 张伟');
    expect(textIn(progressCard, 'en_us')).toContain('**Trigger**：/onboard · 张伟');
    expect(progress).toContain('全员群 All hands');
    expect(visible(progressCard)).not.toMatch(RAW_ID);
  });
});

describe('error cards', () => {
  it("title a 41050 with what happened: the user is outside the app's contact scope", async () => {
    const raw = (await reply(world.sb, '/onboard @黄强', '张伟')).card;
    const card = readCard(raw);
    expect(textIn(raw, 'zh_cn')).toContain('用户不在应用的通讯录范围内');
    expect(textIn(raw, 'en_us')).toContain("User outside the app's contact scope");
    expect(card).not.toContain('Something went wrong');
    expect(card).toContain('41050');
  });

  it('do not suggest the command content review refused as the example to try', async () => {
    const raw = (await reply(sb, '/group create 违禁词群 @李娜', '张伟')).card;
    const card = readCard(raw);
    expect(card).toContain('232023');
    expect(textIn(raw, 'zh_cn')).not.toContain('**示例**');
    expect(textIn(raw, 'en_us')).not.toContain('**Example**');
    expect(card).not.toContain('/group create 违禁词群');
  });
});

describe('success cards', () => {
  it('leave out a row with nothing in it: a mail group created without members', async () => {
    const card = readCard((await reply(sb, '/mailgroup create team@feishu-ops.example', '张伟')).card);
    expect(card).toContain('邮件组已创建');
    expect(card).not.toContain('Members added');
    expect(card).not.toContain('—');
  });
});

describe('the draft preview', () => {
  it('keeps the body’s line breaks and renders its Markdown, with tags and images left as text', async () => {
    const login = await reply(sb, '/login', '张伟');
    expect((await browserSignIn(signInLink(login.card), userNamed(sb.emulator, '张伟').open_id)).status).toBe(200);
    const body = '大家好，\n\n本季度完成了 **发布**。\n- 第一项\n- 第二项 <at id=all></at> ![x](img_v2_1)';
    await eventually(() =>
      expect(
        [...sb.emulator.state.messages.values()].some(
          (m) => m.chatId === login.chatId && readCard(m.card).includes('登录成功'),
        ),
      ).toBe(true),
    );
    const draft = await reply(sb, `/draft to=@李娜 subject=季度总结\n${body}`, '张伟');
    expect(readCard(draft.card)).toContain('草稿：季度总结');
    const preview = draft.card as { body: { elements: { tag: string; content?: string }[] } };
    const markdown = preview.body.elements.map((e) => e.content ?? '').find((c) => c.includes('大家好'));
    expect(markdown).toContain('大家好，\n\n本季度完成了 **发布**。\n- 第一项\n');
    const html = new MarkdownIt({ breaks: true }).render(markdown!);
    expect(html).toContain('<strong>发布</strong>');
    expect(html).toMatch(/<li>第一项<\/li>/);
    expect(html).not.toMatch(/<at|<img/);
    expect(html).toContain('&lt;at id=all&gt;');
  });
});
