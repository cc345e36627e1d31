/**
 * Hostile strings where the bot writes user-controlled text into mail and cards: a directory name that reads like
 * an address list, and hires named like a markdown link and like HTML. Each mail must go to its intended recipient
 * only, with no link or tag made of a name; each card must show the names as text (escaped in its markdown).
 */
import type { Emulator } from '../../src/emulator/index.js';
import type { SeedUser } from '../../src/emulator/state.js';
import { text, type Row } from './kit.js';
import { announce, onboardingWorld, progressCard, settledSteps, WELCOME_DRAFT } from './onboarding.js';
import {
  command,
  consent,
  decoded,
  draftAndSend,
  mail,
  markdownOf,
  Outcomes,
  read,
  signIn,
  signInLink,
  user,
  waitFor,
  type MailMatch,
} from './people.js';

/** A name that, pasted into an address header or a command line, adds a recipient. */
const ADDRESS_LIST = 'Eve <eve@evil.example>, Bob';
const HIRES = ['[Reset](https://evil.example/x)', '<img src=x onerror=alert(1)>'];

export async function hostileStringsDrill(): Promise<Row> {
  const { emu } = await onboardingWorld();
  const out = new Outcomes();
  const eve = emu.state.addUser({ name: ADDRESS_LIST, enName: 'Eve Hostile', department: 'ops' });
  /** Each mail to send: how to find it, and its one intended recipient. */
  const mails: Record<string, { match: MailMatch; to: string }> = {};

  // The name as a recipient of a command that waits for sign-in: the resumed command is rebuilt from what was resolved.
  const zw = user(emu, '张伟');
  const waiting = await command(
    emu,
    zw.name,
    `/mail send to=@${eve.enterprise_email} subject=hostile-resumed 你好 hello`,
  );
  const link = signInLink(waiting?.card);
  if (link) await fetch(await consent(link, zw));
  else out.problem(`/mail send answered no sign-in card: ${text(waiting?.card).slice(0, 120)}`);
  mails['/mail send to the name, resumed after sign-in'] = {
    match: { subject: 'hostile-resumed' },
    to: eve.enterprise_email,
  };
  // The same name, signed in: /draft, then Send.
  await draftAndSend(emu, zw.name, `to=@${eve.enterprise_email} subject=hostile-draft 你好 hello`).catch((err: Error) =>
    out.problem(err.message),
  );
  mails['/draft to the name, Send'] = { match: { subject: 'hostile-draft' }, to: eve.enterprise_email };

  // Hire names in the onboarding templates: the welcome draft (sent by its author), the welcome and progress cards.
  const sender = emu.state.userByOpenId(WELCOME_DRAFT.sender!)!;
  const failedSignIn = await signIn(emu, sender);
  if (failedSignIn) out.problem(`${sender.name}'s sign-in: ${failedSignIn}`);
  const hires = HIRES.map((name, i) =>
    announce(emu, { name, enName: `Hostile Hire ${i}`, department: 'eng', leader: '王芳' }),
  );
  for (const hire of hires) {
    await waitFor(() => settledSteps(emu, hire), 30_000);
    const preview = [...emu.state.messages.values()].find(
      (m) => m.sender.type === 'app' && text(m.card).includes('草稿：') && text(m.card).includes(hire.enterprise_email),
    );
    if (preview) await emu.delivery.click({ messageId: preview.messageId, by: sender.name, action: 'draft.send' });
    else out.problem(`${hire.enterprise_email}: no welcome draft to send`);
    mails[`welcome mail to ${hire.enterprise_email}`] = {
      match: { to: hire.enterprise_email },
      to: hire.enterprise_email,
    };
  }

  await out.exactlyOnce(
    Object.fromEntries(Object.entries(mails).map(([what, m]) => [what, () => mail(emu, 'sent', m.match).length])),
  );
  for (const [what, m] of Object.entries(mails)) {
    for (const sent of mail(emu, 'sent', m.match)) {
      const v = await read(sent);
      const others = v.recipients.filter((r) => r !== m.to.toLowerCase());
      if (others.length) out.problem(`${what}: also sent to ${others.join(', ')}`);
      if (/<a\s[^>]*evil\.example/i.test(v.html)) out.problem(`${what}: a name became a link in the HTML`);
      if (/<img\b/i.test(v.html)) out.problem(`${what}: a name became an HTML tag`);
    }
  }
  for (const hire of hires) {
    for (const card of cardsAbout(emu, hire)) {
      const raw = markdownOf(card).join('\n');
      if (raw.includes(hire.name))
        out.problem(`a card shows ${hire.enterprise_email}'s name as markup: ${raw.slice(0, 120)}`);
    }
    if (!decoded(markdownOf(progressCard(emu, hire)?.card).join('\n')).includes(hire.name)) {
      out.problem(`the progress card does not show ${hire.enterprise_email}'s name as typed`);
    }
  }
  return out.row(
    'hostile strings: a name that reads as an address list, hires named as a link and as HTML, in mail and cards',
  );
}

/** Every card the bot sent that mentions the hire: progress, welcome card, draft preview, mail sent. */
const cardsAbout = (emu: Emulator, hire: SeedUser) =>
  [...emu.state.messages.values()]
    .filter(
      (m) =>
        m.sender.type === 'app' &&
        m.card &&
        (m.chatId === emu.state.p2pChat(hire.open_id).chatId ||
          text(m.card).includes(hire.enterprise_email) ||
          decoded(text(m.card)).includes(hire.name)),
    )
    .map((m) => m.card);
