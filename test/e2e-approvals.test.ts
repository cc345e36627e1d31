/**
 * Approvals end to end in card mode: the emulator pushes what people type and click, the bot parks a guarded command,
 * asks its approvers on cards, and runs it as the requester exactly once when one approves.
 * /mailgroup needs approval by admins (王芳) or role ops (刘洋); a contact in another person's mailbox (a rule inside
 * /contact add) by admins; 张伟 asks.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cardButtons } from '../src/emulator/delivery.js';
import { openIdFor, STANDING } from '../src/emulator/seed.js';
import type { Message } from '../src/emulator/state.js';
import { browserSignIn, signInLink } from './helpers/auth.js';
import { control, eventually, mailState, readCard } from './helpers/provisioning.js';
import { testSandbox, textIn } from './helpers/sandbox.js';

const DOMAIN = 'feishu-ops.example';
let sb: Awaited<ReturnType<typeof testSandbox>>;
beforeAll(async () => {
  sb = await testSandbox({
    admins: [openIdFor('wangfang')],
    roles: { ops: [openIdFor('liuyang')] },
    commands: {
      mailgroup: { approve: ['admins', 'role:ops'] },
      'contact.other-mailbox': { allow: ['everyone'], approve: ['admins'] },
    },
  });
});
afterAll(async () => sb?.close());
beforeEach(() => control(sb.emulator, 'reset', {}));

const toastOf = (r: { response?: Record<string, unknown> }) =>
  r.response?.toast as { type?: string; i18n?: { en_us?: string } } | undefined;
const cardsTo = (name: string): Message[] => {
  const openId = sb.emulator.state.users.find((u) => u.name === name)!.open_id;
  const p2p = [...sb.emulator.state.chats.values()].find((c) => c.chatMode === 'p2p' && c.members.has(openId));
  return [...sb.emulator.state.messages.values()].filter(
    (m) => m.chatId === p2p?.chatId && m.sender.type === 'app' && m.card,
  );
};
const approverCardOf = async (name: string): Promise<Message> =>
  eventually(() => {
    const card = cardsTo(name).find((m) => readCard(m.card).includes('Approval request'));
    if (!card) throw new Error(`no approval card for ${name}`);
    return card;
  });

async function ask(text: string, from = '张伟'): Promise<Message> {
  const messageId = await sb.say(from, text);
  const [reply] = await sb.replies(messageId);
  if (!reply) throw new Error(`no reply to ${text}`);
  return reply;
}

describe('a guarded command by someone who is not an approver', () => {
  it('creates nothing, tells the requester who approves, and asks each approver', async () => {
    const waiting = await ask(`/mailgroup create ops@${DOMAIN} name="运维"`);
    const text = readCard(waiting.card);
    expect(textIn(waiting.card, 'zh_cn')).toContain('等待审批');
    expect(textIn(waiting.card, 'en_us')).toContain('Waiting for approval');
    expect(textIn(waiting.card, 'ja_jp')).toContain('承認待ち');
    expect(text).toContain('管理员');
    expect(text).toContain('ops');
    expect(mailState(sb.emulator).mailgroups).toHaveLength(0);
    for (const approver of ['王芳', '刘洋']) {
      const card = await approverCardOf(approver);
      expect(readCard(card.card)).toContain(`/mailgroup create ops@${DOMAIN}`);
      expect(readCard(card.card)).toContain('张伟');
    }
    expect(cardsTo('张伟').some((m) => readCard(m.card).includes('Approval request'))).toBe(false);
  });

  it('runs once as the requester when an approver approves, and every card says so', async () => {
    const waiting = await ask(`/mailgroup create ops@${DOMAIN} name="运维"`);
    const card = await approverCardOf('王芳');
    const other = await approverCardOf('刘洋');
    const click = await sb.delivery.click({ messageId: card.messageId, by: '王芳', action: 'approval.approve' });
    expect(toastOf(click)?.type).toBe('success');
    await eventually(() => expect(mailState(sb.emulator).mailgroups).toHaveLength(1));
    const [group] = mailState(sb.emulator).mailgroups;
    expect(group?.email).toBe(`ops@${DOMAIN}`);
    // The command's answer is a reply to the requester's own message.
    await eventually(async () =>
      expect((await sb.replies(waiting.parentId!, 2)).some((m) => readCard(m.card).includes('邮件组已创建'))).toBe(
        true,
      ),
    );
    await eventually(() => {
      expect(readCard(sb.emulator.state.messages.get(waiting.messageId)?.card)).toContain('Approved and run');
      expect(readCard(sb.emulator.state.messages.get(card.messageId)?.card)).toContain('Approved and run');
    });
    expect(readCard(sb.emulator.state.messages.get(other.messageId)?.card)).toContain('王芳 approved');
    // Decided: no card of the request offers a decision any more.
    expect(cardButtons(sb.emulator.state.messages.get(other.messageId)?.card)).toEqual([]);
    expect(mailState(sb.emulator).mailgroups).toHaveLength(1);
    const audit = await sb.bot.store.auditLog(50);
    expect(audit.find((a) => a.action === 'approval.approve')?.actor).toBe(openIdFor('wangfang'));
    expect(audit.find((a) => a.action === 'approval.run')?.result).toBe('ok');
  });
});

describe('who may decide', () => {
  it("refuses the requester's own Approve, even when the requester is an approver (two-person rule)", async () => {
    const two = await testSandbox({
      admins: [openIdFor('wangfang'), openIdFor('zhangwei')],
      commands: { mailgroup: { approve: ['admins'] } },
      approvals: { chat: undefined, twoPersonRule: true },
    });
    try {
      const messageId = await two.say('张伟', `/mailgroup create twice@${DOMAIN}`);
      const [waiting] = await two.replies(messageId);
      expect(readCard(waiting?.card)).toContain('Two-person rule');
      // The requester was not asked; the other admin was.
      const all = () => [...two.emulator.state.messages.values()].filter((m) => m.sender.type === 'app');
      const asked = await eventually(() => {
        const card = all().find((m) => readCard(m.card).includes('Approval request'));
        if (!card) throw new Error('no approver card');
        return card;
      });
      const own = await two.delivery.click({ messageId: asked.messageId, by: '张伟', action: 'approval.approve' });
      expect(toastOf(own)?.type).toBe('error');
      expect(toastOf(own)?.i18n?.en_us).toContain('cannot approve your own request');
      expect(mailState(two.emulator).mailgroups).toHaveLength(0);
      const outsider = await two.delivery.click({ messageId: asked.messageId, by: '李娜', action: 'approval.approve' });
      expect(toastOf(outsider)?.i18n?.en_us).toContain('Only the approvers');
      expect(mailState(two.emulator).mailgroups).toHaveLength(0);
      await two.delivery.click({ messageId: asked.messageId, by: '王芳', action: 'approval.approve' });
      await eventually(() => expect(mailState(two.emulator).mailgroups).toHaveLength(1));
    } finally {
      await two.close();
    }
  });

  it('an approver runs a guarded command at once when there is no two-person rule', async () => {
    const reply = await ask(`/mailgroup create direct@${DOMAIN}`, '王芳');
    expect(readCard(reply.card)).toContain('邮件组已创建');
    expect(mailState(sb.emulator).mailgroups).toHaveLength(1);
  });

  it('two approvers clicking Approve at once run the command once', async () => {
    const since = Date.now();
    await ask(`/mailgroup create race@${DOMAIN}`);
    const [a, b] = [await approverCardOf('王芳'), await approverCardOf('刘洋')];
    const clicks = await Promise.all([
      sb.delivery.click({ messageId: a.messageId, by: '王芳', action: 'approval.approve' }),
      sb.delivery.click({ messageId: b.messageId, by: '刘洋', action: 'approval.approve' }),
    ]);
    expect(clicks.filter((c) => toastOf(c)?.type === 'success')).toHaveLength(1);
    await eventually(() => expect(mailState(sb.emulator).mailgroups).toHaveLength(1));
    await eventually(async () =>
      expect(
        (await sb.bot.store.auditLog(50)).filter((x) => x.action === 'approval.run' && x.at >= since),
      ).toHaveLength(1),
    );
    const creates = sb.emulator.kit.calls.filter(
      (c) => c.method === 'POST' && c.path === '/open-apis/mail/v1/mailgroups',
    );
    expect(creates).toHaveLength(1);
  });
});

describe('requests that end without running', () => {
  it('Reject asks for a reason, runs nothing, and every card says who rejected and why', async () => {
    const waiting = await ask(`/mailgroup create nope@${DOMAIN}`);
    const card = await approverCardOf('刘洋');
    const other = await approverCardOf('王芳');
    const click = await sb.delivery.click({
      messageId: card.messageId,
      by: '刘洋',
      action: 'approval.reject',
      formValue: { reason: '地址不对 wrong address' },
    });
    expect(toastOf(click)?.type).toBe('success');
    // The other cards are updated as the click is answered, or after it when that takes longer than the answer may.
    await eventually(() => {
      const text = readCard(sb.emulator.state.messages.get(waiting.messageId)?.card);
      expect(text).toContain('刘洋 rejected the request; nothing ran');
      expect(text).toContain('地址不对 wrong address');
      expect(readCard(sb.emulator.state.messages.get(other.messageId)?.card)).toContain('Rejected');
    });
    expect(mailState(sb.emulator).mailgroups).toHaveLength(0);
  });

  it('the requester may withdraw; nobody else may', async () => {
    const waiting = await ask(`/mailgroup create back@${DOMAIN}`);
    const stranger = await sb.delivery.click({ messageId: waiting.messageId, by: '李娜', action: 'approval.withdraw' });
    expect(toastOf(stranger)?.type).toBe('error');
    const own = await sb.delivery.click({ messageId: waiting.messageId, by: '张伟', action: 'approval.withdraw' });
    expect(toastOf(own)?.type).toBe('success');
    expect(readCard(sb.emulator.state.messages.get(waiting.messageId)?.card)).toContain('Withdrawn');
    const card = cardsTo('王芳').find((m) => readCard(m.card).includes('back@'));
    await eventually(() =>
      expect(readCard(sb.emulator.state.messages.get(card!.messageId)?.card)).toContain('withdrew'),
    );
    expect(mailState(sb.emulator).mailgroups).toHaveLength(0);
  });

  it('/approvals lists what waits for an approver and what the requester asked for', async () => {
    await ask(`/mailgroup create listed@${DOMAIN}`);
    const mine = await ask('/approvals', '张伟');
    expect(readCard(mine.card)).toContain(`listed@${DOMAIN}`);
    const theirs = await ask('/approvals', '刘洋');
    expect(readCard(theirs.card)).toMatch(/Waiting for you\*\*（[1-9]/);
    const nobody = await ask('/approvals', '李娜');
    expect(readCard(nobody.card)).toContain('Waiting for you**（0）');
  });
});

describe('expiry', () => {
  it('an approval after the request expired runs nothing, and the cards say it expired', async () => {
    const short = await testSandbox({
      admins: [openIdFor('wangfang')],
      commands: { mailgroup: { approve: ['admins'] } },
      approvals: { expireHours: 0.0003 },
    });
    try {
      const messageId = await short.say('张伟', `/mailgroup create late@${DOMAIN}`);
      const [waiting] = await short.replies(messageId);
      const asked = await eventually(() => {
        const card = [...short.emulator.state.messages.values()].find((m) =>
          readCard(m.card).includes('Approval request'),
        );
        if (!card) throw new Error('no approver card');
        return card;
      });
      await new Promise((r) => setTimeout(r, 1_200));
      const click = await short.delivery.click({ messageId: asked.messageId, by: '王芳', action: 'approval.approve' });
      expect(toastOf(click)?.type).toBe('warning');
      expect(toastOf(click)?.i18n?.en_us).toContain('expired');
      await eventually(() =>
        expect(readCard(short.emulator.state.messages.get(waiting!.messageId)?.card)).toContain('request expired'),
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(mailState(short.emulator).mailgroups).toHaveLength(0);
      expect((await short.bot.store.auditLog(20)).some((a) => a.action === 'approval.expire')).toBe(true);
    } finally {
      await short.close();
    }
  });
});

describe('buttons that lead to a guarded command', () => {
  it("a form's submit is parked like the command, and once approved its answer replaces the form", async () => {
    const created = await ask('/group create 审批群 @李娜');
    const opened = await sb.delivery.click({ messageId: created.messageId, by: '张伟', action: 'group.mailgroup' });
    expect(toastOf(opened)?.type).toBe('info');
    const form = await eventually(() => {
      const card = [...sb.emulator.state.messages.values()].find((m) =>
        JSON.stringify(m.card ?? {}).includes('group.mailgroup-submit'),
      );
      if (!card) throw new Error('no form');
      return card;
    });
    const submit = await sb.delivery.click({
      messageId: form.messageId,
      by: '张伟',
      action: 'group.mailgroup-submit',
      formValue: { email: `button@${DOMAIN}`, name: '审批群', who: 'members' },
    });
    expect(toastOf(submit)?.i18n?.en_us).toContain('Sent for approval');
    expect(mailState(sb.emulator).mailgroups).toHaveLength(0);
    const card = await eventually(() => {
      const c = cardsTo('王芳').find((m) => readCard(m.card).includes(`button@${DOMAIN}`));
      if (!c) throw new Error('no approver card');
      return c;
    });
    await sb.delivery.click({ messageId: card.messageId, by: '王芳', action: 'approval.approve' });
    await eventually(() => expect(mailState(sb.emulator).mailgroups.map((g) => g.email)).toEqual([`button@${DOMAIN}`]));
    await eventually(() =>
      expect(readCard(sb.emulator.state.messages.get(form.messageId)?.card)).toContain(`button@${DOMAIN}`),
    );
  });
});

describe('an approved command that needs the requester to sign in', () => {
  it('goes on after the sign-in as approved: no second approval, one mail', async () => {
    const mail = await testSandbox({
      admins: [openIdFor('wangfang')],
      commands: { 'mail send': { approve: ['admins'] } },
      mail: { undoSendSeconds: 0 },
    });
    try {
      const messageId = await mail.say('张伟', '/mail send to=@李娜 subject="审批后发送" 正文');
      const [waiting] = await mail.replies(messageId);
      expect(readCard(waiting?.card)).toContain('Waiting for approval');
      const asked = await eventually(() => {
        const card = [...mail.emulator.state.messages.values()].find((m) =>
          readCard(m.card).includes('Approval request'),
        );
        if (!card) throw new Error('no approver card');
        return card;
      });
      await mail.delivery.click({ messageId: asked.messageId, by: '王芳', action: 'approval.approve' });
      const signIn = await eventually(async () => {
        const card = (await mail.replies(messageId, 2)).find((m) => readCard(m.card).includes('需要登录'));
        if (!card) throw new Error('no sign-in card');
        return card;
      });
      const done = await browserSignIn(signInLink(signIn.card), openIdFor('zhangwei'));
      expect(done.status).toBe(200);
      const sent = () => (mail.emulator.state.snapshot() as { mail: { sent: unknown[] } }).mail.sent;
      await eventually(() => expect(sent()).toHaveLength(1));
      await new Promise((r) => setTimeout(r, 300));
      expect(sent()).toHaveLength(1);
      // Asked once: the run that went on after the sign-in did not ask again.
      const asks = (await mail.bot.store.auditLog(50)).filter((a) => a.action === 'approval.request');
      expect(asks).toHaveLength(1);
    } finally {
      await mail.close();
    }
  });
});

describe('a rule inside a command', () => {
  it("a contact in another person's mailbox waits for an admin; one in your own does not", async () => {
    const own = await ask('/contact add 自己的 email=own@example.com');
    expect(readCard(own.card)).toContain('联系人已添加');
    const waiting = await ask(`/contact add 王五 email=wangwu@example.com mailbox=lina@${DOMAIN}`);
    expect(readCard(waiting.card)).toContain('Waiting for approval');
    expect(mailState(sb.emulator).contacts[`lina@${DOMAIN}`]).toBeUndefined();
    const card = await approverCardOf('王芳');
    await sb.delivery.click({ messageId: card.messageId, by: '王芳', action: 'approval.approve' });
    await eventually(() =>
      expect(mailState(sb.emulator).contacts[`lina@${DOMAIN}`]?.map((c) => c.name)).toEqual(['王五']),
    );
  });
});

describe('automations', () => {
  it('onboarding a new hire waits for an approval when /onboard needs one, then runs once', async () => {
    const auto = await testSandbox({
      admins: [openIdFor('wangfang')],
      commands: { onboard: { allow: ['everyone'], approve: ['admins'] } },
      onboarding: {
        runAs: openIdFor('zhangwei'),
        steps: [{ id: 'welcome', kind: 'welcome-card', title: '欢迎 {name}', body: '你好 {name}' }],
      },
    });
    try {
      await control(auto.emulator, 'events/user-created', { name: '孙悦', department: 'ops', leader: '张伟' });
      const asked = await eventually(() => {
        const card = [...auto.emulator.state.messages.values()].find((m) =>
          readCard(m.card).includes('Approval request'),
        );
        if (!card) throw new Error('no approver card');
        return card;
      });
      expect(readCard(asked.card)).toContain('/onboard @孙悦');
      const hire = auto.emulator.state.users.find((u) => u.name === '孙悦')!;
      expect(await auto.bot.app.workflows.get(`onboard:${hire.open_id}`)).toBeUndefined();
      await auto.delivery.click({ messageId: asked.messageId, by: '王芳', action: 'approval.approve' });
      await eventually(async () =>
        expect((await auto.bot.app.workflows.get(`onboard:${hire.open_id}`))?.steps[0]?.status).toBe('done'),
      );
    } finally {
      await auto.close();
    }
  });
});

describe('approvals.chat', () => {
  it('asks once in the approvers chat, where only an approver may decide', async () => {
    const chat = await testSandbox(
      {
        admins: [openIdFor('wangfang')],
        commands: { mailgroup: { approve: ['admins'] } },
        approvals: { chat: STANDING.allHands.chatId },
      },
      { demo: true },
    );
    try {
      await chat.say('张伟', `/mailgroup create chat@${DOMAIN}`);
      const asked = await eventually(() => {
        const cards = [...chat.emulator.state.messages.values()].filter(
          (m) => m.sender.type === 'app' && readCard(m.card).includes('Approval request'),
        );
        expect(cards).toHaveLength(1);
        return cards[0]!;
      });
      expect(asked.chatId).toBe(STANDING.allHands.chatId);
      const member = await chat.delivery.click({ messageId: asked.messageId, by: '李娜', action: 'approval.approve' });
      expect(toastOf(member)?.i18n?.en_us).toContain('Only the approvers');
      await chat.delivery.click({ messageId: asked.messageId, by: '王芳', action: 'approval.approve' });
      await eventually(() => expect(mailState(chat.emulator).mailgroups).toHaveLength(1));
    } finally {
      await chat.close();
    }
  });
});

describe('/bulk', () => {
  it('Apply of a table whose command needs approval waits for it, then applies every row once', async () => {
    const bulk = await testSandbox({
      admins: [openIdFor('wangfang')],
      commands: { 'contact add': { approve: ['admins'] } },
    });
    try {
      const [plan] = await bulk.replies(
        await bulk.say('张伟', '/bulk contacts\n姓名,邮箱\n甲一,jiayi@example.com\n乙二,yier@example.com'),
        1,
        20_000,
      );
      expect(readCard(plan!.card)).toContain('**将创建**：2');
      const apply = await bulk.delivery.click({
        messageId: plan!.messageId,
        by: '张伟',
        action: 'bulk.apply-contacts',
      });
      expect(toastOf(apply)?.i18n?.en_us).toContain('Sent for approval');
      const contacts = () => Object.values(mailState(bulk.emulator).contacts).flat();
      expect(contacts()).toHaveLength(0);
      const asked = await eventually(() => {
        const card = [...bulk.emulator.state.messages.values()].find((m) =>
          readCard(m.card).includes('Approval request'),
        );
        if (!card) throw new Error('no approver card');
        return card;
      });
      await bulk.delivery.click({ messageId: asked.messageId, by: '王芳', action: 'approval.approve' });
      await eventually(
        () =>
          expect(
            contacts()
              .map((c) => c.name)
              .sort(),
          ).toEqual(['乙二', '甲一']),
        20_000,
      );
    } finally {
      await bulk.close();
    }
  });
});

describe('a batch', () => {
  it("cannot write into another person's mailbox past the approval a single /contact add would need", async () => {
    const plan = await ask(
      `/bulk contacts\n姓名,邮箱,存入邮箱\n自己的,mine@partner.example,me\n别人的,theirs@partner.example,lina@${DOMAIN}`,
    );
    const text = readCard(plan.card);
    expect(text).toContain('**Will create**: 1');
    expect(text).toContain('写入别人的邮箱需要审批');
    // An approver may batch it: their own rows need nobody else.
    const approver = readCard(
      (await ask(`/bulk contacts\n姓名,邮箱,存入邮箱\n别人的,theirs@partner.example,lina@${DOMAIN}`, '王芳')).card,
    );
    expect(approver).toContain('**将创建**：1');
  });
});
