/**
 * Onboarding end to end: the shipped workflow (app.config.json) on the demo sandbox's standing chats and mail group.
 * A new directory user pushed by the emulator is onboarded once; repeats create nothing; a failed step is retried by
 * its button without redoing the rest; a draft waits for its sender to sign in; a dry run changes nothing.
 */
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { STANDING } from '../src/emulator/seed.js';
import { ALL_DONE, announce, effectsOf, onboardingSandbox, settledRun, statuses } from './helpers/onboarding.js';
import { control, eventually, readCard, userNamed } from './helpers/provisioning.js';
import { textIn } from './helpers/sandbox.js';

let world: Awaited<ReturnType<typeof onboardingSandbox>>;
beforeAll(async () => {
  world = await onboardingSandbox();
});
afterAll(async () => world?.sb.close());
beforeEach(async () => {
  await control(world.sb.emulator, 'reset', {});
  await fetch(`${world.sb.emulator.url}/_emulator/faults`, { method: 'DELETE' });
});

const run = (openId: string) => settledRun((id) => world.sb.bot.app.workflows.get(id), openId);

describe('onboarding a new hire', () => {
  it('produces exactly the configured chats, memberships, contact, draft and welcome card, and a progress card ending all ✓', async () => {
    const { sb, tokens } = world;
    await tokens.signIn(userNamed(sb.emulator, '陈静'));
    const hire = await announce(sb.emulator, {
      name: '孙悦',
      enName: 'Sun Yue',
      department: 'ops',
      leader: '张伟',
      jobTitle: 'SRE',
    });
    expect(statuses(await run(hire.open_id))).toEqual(ALL_DONE);

    const e = effectsOf(sb.emulator, hire);
    expect(e.inAllHands).toBe(true);
    expect(e.teamChats).toHaveLength(1);
    expect(e.teamChats[0]?.name).toBe('运维 Ops · 孙悦 入职 Onboarding');
    expect(e.teamChats[0]?.ownerId).toBe(userNamed(sb.emulator, '张伟').open_id);
    expect([...e.teamChats[0]!.members].sort()).toEqual([hire.open_id, userNamed(sb.emulator, '张伟').open_id].sort());
    expect(e.allStaffMembers).toBe(1);
    expect(e.contacts).toBe(1);
    expect(e.drafts).toBe(1);
    expect(e.welcomeCards).toBe(1);
    expect(e.progressCards).toHaveLength(1);
    const progress = await eventually(() => {
      const card = e.progressCards[0] && sb.emulator.state.messages.get(e.progressCards[0].messageId)?.card;
      expect(readCard(card)).toContain('6/6');
      return card;
    });
    expect(textIn(progress, 'zh_cn').match(/✓/g)).toHaveLength(6);
    expect(readCard(progress)).not.toMatch(/✗/);

    // The sender is offered the draft with the preview card a /draft gets, to review and Send.
    const sender = userNamed(sb.emulator, '陈静');
    const p2p = sb.emulator.state.p2pChat(sender.open_id).chatId;
    const offers = [...sb.emulator.state.messages.values()].filter(
      (m) => m.chatId === p2p && m.sender.type === 'app' && JSON.stringify(m.card ?? {}).includes('draft.send'),
    );
    expect(offers).toHaveLength(1);
    expect(readCard(offers[0]?.card)).toContain('欢迎加入 Welcome aboard, 孙悦');
  });

  it("undoes a finished run from its progress card: chats, team chat, mail group, contact and welcome card, not the sender's draft", async () => {
    const { sb, tokens } = world;
    await tokens.signIn(userNamed(sb.emulator, '陈静'));
    const hire = await announce(sb.emulator, { name: '撤销君', department: 'ops', leader: '张伟', jobTitle: 'SRE' });
    expect(statuses(await run(hire.open_id))).toEqual(ALL_DONE);
    const [progress] = effectsOf(sb.emulator, hire).progressCards;
    const undone = await eventually(async () => {
      const r = await sb.delivery.click({ messageId: progress!.messageId, by: '张伟', action: 'change.undo' });
      expect(readCard(r.card)).toContain('已撤销');
      return r;
    });
    expect(readCard(undone.card)).toContain('为 撤销君 办理了入职');
    const e = effectsOf(sb.emulator, hire);
    expect(e.inAllHands).toBe(false);
    expect(e.teamChats.filter((c) => c.dissolvedAt === undefined)).toHaveLength(0);
    expect(e.allStaffMembers).toBe(0);
    expect(e.contacts).toBe(0);
    const p2p = sb.emulator.state.p2pChat(hire.open_id).chatId;
    const welcome = [...sb.emulator.state.messages.values()].filter((m) => m.chatId === p2p && m.sender.type === 'app');
    expect(welcome.map((m) => m.deleted)).toEqual([true]);
    // The welcome draft is its sender's to send or discard.
    expect(e.drafts).toBe(1);
  });

  it('starts nothing new when the same hire is announced again or onboarded by /onboard', async () => {
    const { sb, tokens } = world;
    await tokens.signIn(userNamed(sb.emulator, '陈静'));
    const hire = await announce(sb.emulator, {
      name: '钱多',
      enName: 'Qian Duo',
      department: 'eng',
      leader: '王芳',
      jobTitle: 'Backend',
    });
    await run(hire.open_id);
    const before = effectsOf(sb.emulator, hire);
    const creates = () =>
      sb.emulator.kit.calls.filter(
        (c) => c.method === 'POST' && /chats$|mail_contacts$|drafts$|batch_create$|\/members$/.test(c.path),
      ).length;
    const mutating = creates();

    const again = sb.delivery.userEvent('contact.user.created_v3', hire);
    const reply = await sb.replies(await sb.say('张伟', `/onboard email=${hire.email}`));
    expect(readCard(reply[0]?.card)).toMatch(/已有流程（不会重复）[^\n]*钱多/);
    // The event was accepted (a new event id: only the run's own identity can stop it), then handled.
    expect((await sb.delivery.settled(again)).state).toBe('delivered');
    await eventually(async () => expect(await sb.bot.store.pendingCount()).toBe(0));

    const after = effectsOf(sb.emulator, hire);
    expect({ ...after, teamChats: after.teamChats.length, progressCards: after.progressCards.length }).toEqual({
      ...before,
      teamChats: before.teamChats.length,
      progressCards: before.progressCards.length,
    });
    expect(creates()).toBe(mutating);
  });

  it('shows a failed step as ✗ with the reason, and Retry finishes it without redoing the finished steps', async () => {
    const { sb, tokens } = world;
    await tokens.signIn(userNamed(sb.emulator, '陈静'));
    await control(sb.emulator, 'faults', {
      pathPrefix: '/open-apis/mail/v1/user_mailboxes/chenjing@feishu-ops.example/mail_contacts',
      code: 1230002,
    });
    const hire = await announce(sb.emulator, { name: '周密', enName: 'Zhou Mi', department: 'ops', leader: '张伟' });
    const failed = await run(hire.open_id);
    expect(statuses(failed)).toEqual({ ...ALL_DONE, 'hr-contact': 'failed' });
    const [card] = effectsOf(sb.emulator, hire).progressCards;
    const text = await eventually(() => {
      const t = readCard(sb.emulator.state.messages.get(card!.messageId)?.card);
      expect(t).toMatch(/✗/);
      return t;
    });
    expect(text).toContain('没有权限访问这个邮箱');
    expect(text).toContain('No permission to use this mailbox');

    await fetch(`${sb.emulator.url}/_emulator/faults`, { method: 'DELETE' });
    const before = effectsOf(sb.emulator, hire);
    await control(sb.emulator, 'events/click', { messageId: card!.messageId, by: '张伟', action: 'onboard.retry' });
    await eventually(async () =>
      expect(statuses((await sb.bot.app.workflows.get(`onboard:${hire.open_id}`))!)).toEqual(ALL_DONE),
    );
    const after = effectsOf(sb.emulator, hire);
    expect(after.contacts).toBe(1);
    expect(after.teamChats).toHaveLength(before.teamChats.length);
    expect([after.drafts, after.welcomeCards, after.allStaffMembers]).toEqual([1, 1, 1]);
    await eventually(() =>
      expect(textIn(sb.emulator.state.messages.get(card!.messageId)?.card, 'zh_cn').match(/✓/g)).toHaveLength(6),
    );
  });

  it('Skip step marks a failed step skipped and the run finished, calling nothing again', async () => {
    const { sb, tokens } = world;
    await tokens.signIn(userNamed(sb.emulator, '陈静'));
    const contacts = '/open-apis/mail/v1/user_mailboxes/chenjing@feishu-ops.example/mail_contacts';
    await control(sb.emulator, 'faults', { pathPrefix: contacts, code: 1230002 });
    const hire = await announce(sb.emulator, { name: '秦川', department: 'ops', leader: '张伟' });
    await run(hire.open_id);
    const [card] = effectsOf(sb.emulator, hire).progressCards;
    const tried = sb.emulator.kit.calls.filter((c) => c.path === contacts).length;
    await control(sb.emulator, 'events/click', { messageId: card!.messageId, by: '张伟', action: 'onboard.skip' });
    await eventually(async () =>
      expect(statuses((await sb.bot.app.workflows.get(`onboard:${hire.open_id}`))!)).toEqual({
        ...ALL_DONE,
        'hr-contact': 'skipped',
      }),
    );
    expect(sb.emulator.kit.calls.filter((c) => c.path === contacts)).toHaveLength(tried);
    await eventually(() => expect(readCard(sb.emulator.state.messages.get(card!.messageId)?.card)).toContain('5/6'));
  });

  it('refuses Retry to someone who may not run /onboard', async () => {
    const { sb, tokens } = world;
    await tokens.signIn(userNamed(sb.emulator, '陈静'));
    await control(sb.emulator, 'faults', {
      pathPrefix: '/open-apis/mail/v1/user_mailboxes/chenjing@feishu-ops.example/mail_contacts',
      code: 1230002,
    });
    const hire = await announce(sb.emulator, { name: '吴用', department: 'hr' });
    await run(hire.open_id);
    const [card] = effectsOf(sb.emulator, hire).progressCards;
    await fetch(`${sb.emulator.url}/_emulator/faults`, { method: 'DELETE' });
    const answer = (await control(sb.emulator, 'events/click', {
      messageId: card!.messageId,
      by: '陈静',
      action: 'onboard.retry',
    })) as { response?: { toast?: { content?: string } } };
    expect(JSON.stringify(answer)).toContain('没有权限');
    expect(statuses((await sb.bot.app.workflows.get(`onboard:${hire.open_id}`))!)['hr-contact']).toBe('failed');
  });

  it('waits for the sender to sign in, with a sign-in card sent to them, and finishes once resumed', async () => {
    const { sb, tokens } = world;
    const sender = userNamed(sb.emulator, '陈静');
    const hire = await announce(sb.emulator, { name: '郑和', enName: 'Zheng He', department: 'eng', leader: '王芳' });
    const waiting = await run(hire.open_id);
    expect(statuses(waiting)).toEqual({ ...ALL_DONE, 'welcome-mail': 'waiting' });
    const senderChat = [...sb.emulator.state.chats.values()].find(
      (c) => c.chatMode === 'p2p' && c.members.has(sender.open_id),
    );
    const signInCards = [...sb.emulator.state.messages.values()].filter(
      (m) => m.chatId === senderChat?.chatId && readCard(m.card).includes('/login'),
    );
    expect(signInCards).toHaveLength(1);
    const [card] = effectsOf(sb.emulator, hire).progressCards;
    await eventually(() =>
      expect(readCard(sb.emulator.state.messages.get(card!.messageId)?.card)).toContain('waiting for sign-in'),
    );

    await tokens.signIn(sender);
    expect(await sb.bot.app.workflows.resumeWaiting(sender.open_id)).toEqual([`onboard:${hire.open_id}`]);
    expect(statuses((await sb.bot.app.workflows.get(`onboard:${hire.open_id}`))!)).toEqual(ALL_DONE);
    expect(effectsOf(sb.emulator, hire).drafts).toBe(1);
  });

  it("keeps the hire's directory values literal in the welcome mail's HTML and the welcome card, and the templates' own layout", async () => {
    const { sb, tokens } = world;
    await tokens.signIn(userNamed(sb.emulator, '陈静'));
    // The team chat's description holds four of these values: together within its 100 characters.
    const mentor = sb.emulator.state.addUser({ name: '[M](https://evil.example/m)', department: 'ops' });
    const hire = await announce(sb.emulator, {
      name: '[Reset](https://evil.example/x)',
      enName: '<b>B</b><a>y</a>',
      department: 'ops',
      leader: mentor.name,
      jobTitle: '**S**',
    });
    expect(statuses(await run(hire.open_id))).toEqual(ALL_DONE);

    const { drafts } = (
      sb.emulator.state.snapshot() as {
        mail: { drafts: { raw: string; summary: { to: { mail_address: string }[] } }[] };
      }
    ).mail;
    const draft = drafts.find((d) => d.summary.to.some((t) => t.mail_address === hire.enterprise_email));
    const html = (await PostalMime.parse(Buffer.from(draft!.raw, 'base64url'))).html ?? '';
    expect(html).not.toContain('<a href="https://evil.example/x">');
    expect(html).not.toMatch(/<a\b|<b>|<strong>/);
    expect(html).toContain('<p>[Reset](https://evil.example/x)，你好！</p>');
    expect(html).toContain('担任**S**。你的导师是 [M](https://evil.example/m)。');
    expect(html).toContain('Hi &lt;b&gt;B&lt;/b&gt;&lt;a&gt;y&lt;/a&gt;, welcome');
    expect(html.match(/<p>/g)).toHaveLength(3);

    const welcome = [...sb.emulator.state.messages.values()].find(
      (m) => m.chatId === sb.emulator.state.p2pChat(hire.open_id).chatId && m.sender.type === 'app',
    );
    expect(readCard(welcome?.card)).toContain('欢迎加入 Welcome, [Reset](https://evil.example/x)!');
    const body = (welcome?.card as { body: { elements: { content: string }[] } }).body.elements[0]!.content;
    // Markdown with the mentor's name escaped (no link syntax left), keeping the template's line break.
    expect(body).not.toContain('](https://evil.example');
    expect(readCard(welcome?.card)).toContain(
      '；[M](https://evil.example/m) 是你的导师。\nYou are in the all-hands chat',
    );
  });

  it('limits steps to their departments', async () => {
    const { sb, tokens } = world;
    await tokens.signIn(userNamed(sb.emulator, '陈静'));
    const hire = await announce(sb.emulator, { name: '冯青', department: 'hr', leader: '陈静' });
    expect(statuses(await run(hire.open_id))).toEqual({ ...ALL_DONE, 'team-chat': 'not_applicable' });
    expect(effectsOf(sb.emulator, hire).teamChats).toHaveLength(0);
  });
});

describe('/onboard', () => {
  it('--dry-run replies with the plan and its resolved values, and makes no mutating Open API call', async () => {
    const { sb } = world;
    const hire = sb.emulator.state.addUser({
      name: '褚明',
      enName: 'Chu Ming',
      department: 'eng',
      leader: '王芳',
      jobTitle: 'QA',
    });
    // Earlier tests' progress cards may still be updating: count calls from a moment the emulator has seen none.
    let since = -1;
    for (
      let last = sb.emulator.kit.calls.at(-1)?.seq ?? 0;
      last !== since;
      last = sb.emulator.kit.calls.at(-1)?.seq ?? 0
    ) {
      since = last;
      await new Promise((r) => setTimeout(r, 300));
    }
    // An earlier run's progress card can still be updated late: changes to messages that existed before are theirs.
    const earlier = new Set(sb.emulator.state.messages.keys());
    const [reply, unknown] = await sb.replies(
      await sb.say('张伟', `/onboard email=${hire.email},nobody@example.com --dry-run`),
      2,
    );
    const plan = readCard(reply?.card);
    expect(plan).toContain('研发 Engineering · 褚明 入职 Onboarding');
    expect(plan).toContain(`褚明 → ${STANDING.allHands.name}`);
    expect(plan).toContain('chenjing@feishu-ops.example');
    expect(plan).toContain('欢迎加入 Welcome aboard, 褚明!');
    expect(readCard(unknown?.card)).toContain('nobody@example.com');
    const calls = sb.emulator.kit.calls.filter(
      (c) => c.seq > since && c.method !== 'GET' && !earlier.has(c.path.split('/')[5] ?? ''),
    );
    // Reads that are POSTs (batch_get_id) and the bot's own replies; nothing else.
    expect(
      calls
        .map((c) => c.path)
        .filter(
          (p) =>
            !p.endsWith('/users/batch_get_id') &&
            !/\/im\/v1\/messages\/om_\w+\/reply$/.test(p) &&
            p !== '/open-apis/auth/v3/tenant_access_token/internal',
        ),
    ).toEqual([]);
    expect(await sb.bot.app.workflows.get(`onboard:${hire.open_id}`)).toBeUndefined();
  });

  it('onboards a batch by email and reports unknown addresses', async () => {
    const { sb, tokens } = world;
    await tokens.signIn(userNamed(sb.emulator, '陈静'));
    const a = sb.emulator.state.addUser({ name: '卫青', department: 'ops', leader: '张伟' });
    const b = sb.emulator.state.addUser({ name: '蒋干', department: 'eng', leader: '王芳' });
    const [reply] = await sb.replies(await sb.say('张伟', `/onboard email=${a.email},${b.email},ghost@example.com`));
    const text = readCard(reply?.card);
    expect(text).toMatch(/已开始[^\n]*卫青/);
    expect(text).toMatch(/已开始[^\n]*蒋干/);
    expect(text).toContain('ghost@example.com');
    expect(statuses(await run(a.open_id))).toEqual(ALL_DONE);
    expect(statuses(await run(b.open_id))).toEqual(ALL_DONE);
  });

  it('is refused to someone who is not allowed by commands.onboard.allow', async () => {
    const { sb } = world;
    const [reply] = await sb.replies(await sb.say('李娜', '/onboard email=liuyang@example.com'));
    expect(readCard(reply?.card)).toContain('没有权限');
  });

  it('/onboard status <hire> shows each step of that run with the reason of its failure, by name, address or @mention', async () => {
    const { sb, tokens } = world;
    await tokens.signIn(userNamed(sb.emulator, '陈静'));
    await control(sb.emulator, 'faults', {
      pathPrefix: '/open-apis/mail/v1/user_mailboxes/chenjing@feishu-ops.example/mail_contacts',
      code: 1230002,
    });
    const hire = await announce(sb.emulator, { name: '岳飞', enName: 'Yue Fei', department: 'eng', leader: '王芳' });
    await run(hire.open_id);

    const [list] = await sb.replies(await sb.say('张伟', '/onboard status'));
    expect(readCard(list?.card)).toMatch(/✗ 1 \*\*岳飞\*\* 5\/6 · 失败：hr-contact/);
    expect(textIn(list?.card, 'en_us')).toMatch(/✗ 1 \*\*岳飞\*\* 5\/6 · failed: hr-contact/);
    for (const asked of ['岳飞', 'yue fei', hire.enterprise_email, hire.email, '@岳飞']) {
      const [status] = await sb.replies(await sb.say('张伟', `/onboard status ${asked}`));
      const text = readCard(status?.card);
      expect(text, asked).toContain('入职流程：岳飞');
      for (const step of ['all-hands', 'team-chat', 'all-staff', 'welcome-mail', 'welcome-card'])
        expect(text).toMatch(new RegExp(`✓ [^\n]*（${step}）`));
      expect(text).toMatch(
        /✗ 添加邮箱联系人（hr-contact）[^]*没有权限访问这个邮箱[^]*No permission to use this mailbox/,
      );
    }
    const [unknown] = await sb.replies(await sb.say('张伟', '/onboard status 无名氏'));
    expect(readCard(unknown?.card)).toContain('没有 无名氏 的入职流程');
  });

  it('/onboard status lists recent runs and /help onboard shows the configured steps', async () => {
    const { sb } = world;
    const [status] = await sb.replies(await sb.say('张伟', '/onboard status'));
    expect(readCard(status?.card)).toContain('最近的入职流程');
    const [help] = await sb.replies(await sb.say('张伟', '/help onboard'));
    const text = readCard(help?.card);
    expect(text).toContain('加入群聊（all-hands）');
    expect(text).toContain('Draft the welcome mail (welcome-mail)');
  });
});
