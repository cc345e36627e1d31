/**
 * Approvals under fire: a non-approver asks for guarded commands; for each, both approvers click Approve at once (and
 * one clicks again), or one rejects; the bot is SIGKILLed and restarted between the asking and the deciding. Every
 * approved request must create its mail group exactly once, and no rejected one any.
 */
import { setTimeout as pause } from 'node:timers/promises';
import type { Emulator } from '../../src/emulator/index.js';
import { MAIL_DOMAIN, openIdFor } from '../../src/emulator/seed.js';
import type { Message } from '../../src/emulator/state.js';
import { BotProcess, freshWorld, n, text, type Row } from './kit.js';
import { cardsTo, Outcomes, waitFor } from './people.js';

const APP = {
  admins: [openIdFor('wangfang')],
  roles: { ops: [openIdFor('liuyang')] },
  commands: { mailgroup: { approve: ['admins', 'role:ops'] } },
};

const mailgroupsAt = (emu: Emulator, email: string): number =>
  (emu.state.snapshot() as { mail: { mailgroups: { email: string }[] } }).mail.mailgroups.filter(
    (g) => g.email === email,
  ).length;

/** The approver card of the request for `email` in `who`'s p2p chat. */
const approverCard = (emu: Emulator, who: string, email: string): Message | undefined =>
  cardsTo(
    emu,
    emu.state.users.find((u) => u.name === who)!,
  ).find((m) => text(m.card).includes(email) && text(m.card).includes('approval.approve'));

export async function approvalsDrill(): Promise<Row> {
  const world = await freshWorld({ bot: { app: APP } });
  const { emu, dataDir } = world;
  const out = new Outcomes();
  const total = n(8);
  const emails = Array.from({ length: total }, (_, i) => `approval-drill-${i}@${MAIL_DOMAIN}`);
  const cards = new Map<string, [Message, Message]>();
  for (const email of emails) {
    emu.delivery.sendMessage({ from: '张伟', text: `/mailgroup create ${email}` });
    const found = await waitFor(() => {
      const a = approverCard(emu, '王芳', email);
      const b = approverCard(emu, '刘洋', email);
      return a && b ? ([a, b] as [Message, Message]) : undefined;
    }, 15_000);
    if (found) cards.set(email, found);
    else out.problem(`${email}: the approvers were never asked`);
  }
  for (const email of emails) if (mailgroupsAt(emu, email) > 0) out.problem(`${email}: created before anyone approved`);

  // The requests wait across a SIGKILL.
  await world.bot.stop('SIGKILL');
  await new BotProcess(emu, dataDir, { app: APP }).start();

  const rejected = new Set(emails.filter((_, i) => i % 4 === 3));
  for (const [email, [a, b]] of cards) {
    if (rejected.has(email)) {
      await emu.delivery.click({
        messageId: b.messageId,
        by: '刘洋',
        action: 'approval.reject',
        formValue: { reason: 'drill' },
      });
      continue;
    }
    await Promise.all([
      emu.delivery.click({ messageId: a.messageId, by: '王芳', action: 'approval.approve' }),
      emu.delivery.click({ messageId: b.messageId, by: '刘洋', action: 'approval.approve' }),
    ]);
  }
  const approved = emails.filter((e) => cards.has(e) && !rejected.has(e));
  await out.exactlyOnce(Object.fromEntries(approved.map((e) => [e, () => mailgroupsAt(emu, e)])), 30_000);
  await pause(500);
  for (const email of rejected) if (mailgroupsAt(emu, email) > 0) out.problem(`${email}: created though rejected`);
  return out.row(`approvals: ${total} requests, 2 approvers at once, SIGKILL while waiting`, rejected.size);
}
