/**
 * Sign-in and mail, through the bot's token vault and its real /oauth/callback: a user signs in and sends
 * /mail send and /draft + Send; a bot SIGKILLed right after the callback of a command that waited for the sign-in
 * must run that command exactly once after its restart; Send clicked twice on a draft, each click reaching both of
 * two instances that share one Redis, must send one mail.
 */
import type { Emulator } from '../../src/emulator/index.js';
import { BotProcess, freshWorld, n, redisPair, row, text, type Row } from './kit.js';
import { command, consent, draftAndSend, mail, Outcomes, signIn, signInLink, user } from './people.js';

const TO = 'zhangwei@feishu-ops.example';

export async function mailDrill(): Promise<Row[]> {
  const world = await freshWorld();
  return [await signedInMail(world.emu), await crashAfterCallback(world), await doubleSendOnTwoInstances()];
}

async function signedInMail(emu: Emulator): Promise<Row> {
  const out = new Outcomes();
  const who = user(emu, '张伟');
  const failedSignIn = await signIn(emu, who);
  if (failedSignIn)
    return row({
      drill: 'sign-in, /mail send, /draft + Send',
      tried: 1,
      problems: 1,
      note: `sign-in: ${failedSignIn}`,
    });
  // Sent at once, or held for the undo window (mail.undoSendSeconds, 10 s by default) and then sent.
  const sentOrHeld = (card: string) => card.includes('邮件已发送') || /将在 \d+ 秒后发送/.test(card);
  const sent = await command(emu, who.name, `/mail send to=${TO} subject=drill-send 演练 drill`);
  if (!sentOrHeld(text(sent?.card))) out.problem(`/mail send answered ${text(sent?.card).slice(0, 200)}`);
  await draftAndSend(emu, who.name, `to=${TO} subject=drill-draft 演练 drill`).then(
    (card) => {
      if (!sentOrHeld(card)) out.problem(`Send answered ${card.slice(0, 200)}`);
    },
    (err: Error) => out.problem(err.message),
  );
  await out.exactlyOnce(
    {
      '/mail send': () => mail(emu, 'sent', { subject: 'drill-send' }).length,
      '/draft + Send': () => mail(emu, 'sent', { subject: 'drill-draft' }).length,
    },
    30_000,
  );
  // The held card ends saying what happened, never left on "sending in N s".
  if (sent && !text(emu.state.messages.get(sent.messageId)?.card).includes('邮件已发送'))
    out.problem('the held /mail send card never turned into the sent card');
  return out.row('sign-in, /mail send, /draft + Send');
}

/**
 * Commands that wait for their sender's sign-in (/mail send and /draft in turn, each from another user), the bot
 * SIGKILLed as soon as its callback page answered, then restarted: each command must have run once.
 */
async function crashAfterCallback(world: Awaited<ReturnType<typeof freshWorld>>): Promise<Row> {
  const { emu } = world;
  let bot = world.bot;
  const out = new Outcomes();
  const people = ['李娜', '王芳', '刘洋', '杨磊', '陈静'].map((name) => user(emu, name));
  const total = n(2);
  const waiting: Record<string, () => number> = {};
  for (let i = 0; i < total; i++) {
    const who = people[i % people.length]!;
    if (i >= people.length) await command(emu, who.name, '/logout');
    const subject = `drill-resume-${i}`;
    const sends = i % 2 === 0;
    const card = await command(
      emu,
      who.name,
      `${sends ? '/mail send' : '/draft'} to=${TO} subject=${subject} 登录后发送 sent after sign-in`,
    );
    const link = signInLink(card?.card);
    if (!link) {
      out.problem(`${subject}: no sign-in card (${text(card?.card).slice(0, 120)})`);
      continue;
    }
    const page = await fetch(await consent(link, who));
    await bot.stop('SIGKILL');
    if (page.status !== 200) out.problem(`${subject}: the callback page answered HTTP ${page.status}`);
    bot = await new BotProcess(emu, world.dataDir).start();
    waiting[subject] = () => mail(emu, sends ? 'sent' : 'drafts', { subject }).length;
  }
  // The first (a /mail send) is held for the undo window, 10 s from whenever its resumed run recorded the hold: a
  // run the next SIGKILL cut short starts it again after its lease, on the restarted bot.
  await out.exactlyOnce(waiting, 30_000);
  return out.row(
    `SIGKILL right after the OAuth callback ×${total}, restart: the waiting command runs once`,
    total - Object.keys(waiting).length,
  );
}

/** Two instances on one Redis behind a fan-out: every push and every click reaches both. */
async function doubleSendOnTwoInstances(): Promise<Row> {
  const { emu } = await redisPair('drills-mail');
  const out = new Outcomes();
  const total = n(3);
  const failedSignIn = await signIn(emu, user(emu, '张伟'));
  if (failedSignIn)
    return row({
      drill: 'Send clicked twice on two instances (Redis)',
      tried: total,
      problems: 1,
      note: `sign-in: ${failedSignIn}`,
    });
  const sends: Record<string, () => number> = {};
  for (let i = 0; i < total; i++) {
    const subject = `drill-twice-${i}`;
    await draftAndSend(emu, '张伟', `to=${TO} subject=${subject} 演练 drill`, 2).catch((err: Error) =>
      out.problem(err.message),
    );
    sends[subject] = () => mail(emu, 'sent', { subject }).length;
  }
  await out.exactlyOnce(sends, 30_000);
  return out.row(`Send clicked twice on two instances (Redis), ${total} drafts`);
}
