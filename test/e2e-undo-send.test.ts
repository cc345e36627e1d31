/**
 * Undo send end to end: Send on a draft's preview and /mail send hold the mail behind a card with Undo; the mail goes
 * out once when its time comes, or never when Undo comes first. (Killing the bot during the hold:
 * e2e-signin-crash.test.ts.)
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Message } from '../src/emulator/state.js';
import { browserSignIn, signInLink } from './helpers/auth.js';
import { control, eventually, readCard, userNamed } from './helpers/provisioning.js';
import { testSandbox } from './helpers/sandbox.js';

const HOLD_S = 2;
let sb: Awaited<ReturnType<typeof testSandbox>>;
beforeAll(async () => {
  sb = await testSandbox({ mail: { undoSendSeconds: HOLD_S } });
});
afterAll(async () => sb?.close());
beforeEach(async () => {
  await control(sb.emulator, 'reset', {});
  // The bot's store outlives an emulator reset: start every test signed out.
  for (const who of ['张伟', '李娜']) await command('/logout', who);
});

async function command(text: string, from = '张伟'): Promise<Message> {
  const [reply] = await sb.replies(await sb.say(from, text));
  if (!reply) throw new Error(`no reply to ${text}`);
  return reply;
}

async function signIn(who = '张伟'): Promise<void> {
  const reply = await command('/login', who);
  expect((await browserSignIn(signInLink(reply.card), userNamed(sb.emulator, who).open_id)).status).toBe(200);
}

const sent = async () =>
  ((await (await fetch(`${sb.emulator.url}/_emulator/state`)).json()) as { mail: { sent: unknown[] } }).mail.sent;
const click = (m: Message, action: string, by = '张伟') => sb.delivery.click({ messageId: m.messageId, by, action });
const cardOf = (m: Message) => readCard(sb.emulator.state.messages.get(m.messageId)?.card);
const afterTheHold = () => new Promise((r) => setTimeout(r, HOLD_S * 1000 + 1_000));

describe('Send on a draft preview', () => {
  it('holds the mail with Undo, then sends it once and the card says so', async () => {
    await signIn();
    const preview = await command('/draft to=lina@feishu-ops.example subject=稍后发送 正文');
    const held = await click(preview, 'draft.send');
    expect(readCard(held.card)).toContain(`将在 ${HOLD_S} 秒后发送`);
    expect(await sent()).toHaveLength(0);
    await eventually(async () => expect(await sent()).toHaveLength(1), 10_000);
    await eventually(() => expect(cardOf(preview)).toContain('邮件已发送'));
  });

  it('sends nothing after Undo, returns the draft to its preview, and a second Send goes out once', async () => {
    await signIn();
    const preview = await command('/draft to=lina@feishu-ops.example subject=撤销发送 正文');
    await click(preview, 'draft.send');
    const undone = await click(preview, 'mail.undo-send');
    expect(readCard(undone.card)).toContain('已撤销发送');
    expect(readCard(undone.card)).toContain('撤销发送'); // the subject, back on the preview
    await afterTheHold();
    expect(await sent()).toHaveLength(0);

    const again = await click(preview, 'draft.send');
    expect(readCard(again.card)).toContain(`将在 ${HOLD_S} 秒后发送`);
    await eventually(async () => expect(await sent()).toHaveLength(1), 10_000);
    await afterTheHold();
    expect(await sent()).toHaveLength(1);
  });

  it("refuses someone else's Undo and sends the mail", async () => {
    await signIn();
    const preview = await command('/draft to=lina@feishu-ops.example subject=别人撤销 正文');
    await click(preview, 'draft.send');
    const r = await click(preview, 'mail.undo-send', '李娜');
    expect(JSON.stringify(r.response)).toContain('只有发件人可以撤销发送');
    await eventually(async () => expect(await sent()).toHaveLength(1), 10_000);
  });
});

describe('/mail send', () => {
  it('sends nothing when Undo is clicked within the window', async () => {
    await signIn();
    const held = await command('/mail send to=@李娜 subject="撤销 Undo" 正文');
    expect(readCard(held.card)).toContain(`将在 ${HOLD_S} 秒后发送`);
    const undone = await click(held, 'mail.undo-send');
    expect(readCard(undone.card)).toContain('已撤销发送');
    await afterTheHold();
    expect(await sent()).toHaveLength(0);
  });

  it('replaces the held card with the sent card, without Undo, once the mail went out', async () => {
    await signIn();
    const held = await command('/mail send to=@李娜 subject="太晚 Late" 正文');
    await eventually(async () => expect(await sent()).toHaveLength(1), 10_000);
    // The card no longer offers Undo; a click that raced it (sent before the card changed) is answered honestly.
    await eventually(() => expect(cardOf(held)).toContain('邮件已发送'));
    expect(cardOf(held)).not.toContain('撤销');
  });
});
