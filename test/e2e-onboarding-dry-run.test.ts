/**
 * `/onboard … --dry-run` checks what a run would meet, with the bot's own token vault: every chat the shipped
 * workflow names exists and holds the bot, the mail group exists, the welcome mail's sender is signed in. Each problem
 * is an amber line naming the thing and what to do, as is a directory field the templates name that is empty for the
 * hire; with none, the plan says it is ready.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STANDING } from '../src/emulator/seed.js';
import { browserSignIn, signInLink } from './helpers/auth.js';
import { onboardingSandbox } from './helpers/onboarding.js';
import { userNamed } from './helpers/provisioning.js';
import { textIn } from './helpers/sandbox.js';
import { standalone, type Standalone } from './helpers/standalone.js';

const DRY_RUN = '/onboard email=liuyang@example.com --dry-run';
const header = (card: unknown) => (card as { header?: { template?: string } } | undefined)?.header?.template;
/** What a reader whose Feishu speaks `locale` reads, entities decoded. */
const readIn = (card: unknown, locale: 'zh_cn' | 'en_us') =>
  textIn(card, locale).replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));
/** The amber lines a Chinese reader sees, without their colour tags. */
const warnings = (card: unknown) =>
  readIn(card, 'zh_cn')
    .split('\n')
    .map((l) => l.replace(/<[^>]+>/g, ''))
    .filter((l) => l.startsWith('⚠'));

describe('against `npm run emulator` without --standing', () => {
  let world: Standalone;
  beforeAll(async () => {
    world = await standalone();
  }, 30_000);
  afterAll(async () => world?.close());

  it('names each missing chat and mail group and the sender who has not signed in, with what to do', async () => {
    const [plan] = await world.replies(await world.say('张伟', DRY_RUN));
    const english = readIn(plan?.card, 'en_us');
    expect(header(plan?.card)).toBe('orange');
    expect(readIn(plan?.card, 'zh_cn')).toContain('4 个问题，处理后再运行');
    expect(english).toContain('4 problems to fix before running');
    expect(warnings(plan?.card)).toEqual([
      `⚠ onboarding.adminChat：没有群 ${STANDING.admins.chatId}：改成已有的群 ID（机器人在群里）`,
      `⚠ onboarding.steps[0].chats[0]：没有群 ${STANDING.allHands.chatId}：改成已有的群 ID（机器人在群里）`,
      `⚠ onboarding.steps[2].mailgroups[0]：没有邮件组 ${STANDING.allStaff.email}：先用 /mailgroup create ${STANDING.allStaff.email} 创建，或改成已有的地址`,
      '⚠ onboarding.steps[4].sender：发件人 陈静 还没有登录，欢迎邮件会一直等待：请 陈静 给机器人发送 /login',
    ]);
    expect(english).toContain(
      `onboarding.steps[0].chats[0]: there is no chat ${STANDING.allHands.chatId}: name an existing chat the bot is in`,
    );
    expect(english).toContain('ask 陈静 to send /login to the bot');
  });
});

describe('in the sandbox, with the standing chats and mail group', () => {
  let world: Awaited<ReturnType<typeof onboardingSandbox>>;
  beforeAll(async () => {
    // No userTokens: the bot's own token vault, which the dry run asks.
    world = await onboardingSandbox({ sandbox: { bot: { userTokens: undefined } } });
  });
  afterAll(async () => world?.sb.close());

  it('says the plan is ready once the sender has signed in, and names a blank job title and a chat the bot has left', async () => {
    const { sb } = world;
    const [before] = await sb.replies(await sb.say('张伟', DRY_RUN));
    expect(warnings(before?.card)).toEqual([expect.stringContaining('陈静 还没有登录')]);

    const [login] = await sb.replies(await sb.say('陈静', '/login'));
    expect((await browserSignIn(signInLink(login?.card), userNamed(sb.emulator, '陈静').open_id)).status).toBe(200);
    const [ready] = await sb.replies(await sb.say('张伟', DRY_RUN));
    expect(header(ready?.card)).toBe('blue');
    expect(readIn(ready?.card, 'zh_cn')).toContain('✓ 已检查：群、邮件组和发件人登录都已就绪');
    expect(warnings(ready?.card)).toEqual([]);

    // A hire the directory gives no job title: the texts that name it are flagged, not the rest.
    const untitled = sb.emulator.state.addUser({ name: '钱七', department: 'ops', leader: '张伟' });
    const [blank] = await sb.replies(await sb.say('张伟', `/onboard email=${untitled.email} --dry-run`));
    expect(header(blank?.card)).toBe('orange');
    expect(warnings(blank?.card)).toEqual([
      '⚠ onboarding.steps[1].description：钱七 的 {job_title} 在通讯录里为空，这里会空着：在通讯录里填写，或从模板去掉 {job_title}',
      '⚠ onboarding.steps[4].body：钱七 的 {job_title} 在通讯录里为空，这里会空着：在通讯录里填写，或从模板去掉 {job_title}',
    ]);
    expect(readIn(blank?.card, 'en_us')).toContain(
      '{job_title} is empty in the directory for 钱七, so it would read blank',
    );

    const allHands = sb.emulator.state.chats.get(STANDING.allHands.chatId)!;
    allHands.bots.delete(sb.emulator.state.app.appId);
    try {
      const [left] = await sb.replies(await sb.say('张伟', DRY_RUN));
      expect(warnings(left?.card)).toEqual([
        `⚠ onboarding.steps[0].chats[0]：机器人不在群 ${STANDING.allHands.chatId} 里：在群设置里添加机器人`,
      ]);
    } finally {
      allHands.bots.add(sb.emulator.state.app.appId);
    }
  });
});
