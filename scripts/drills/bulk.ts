/**
 * /bulk contacts under fire: a table pasted as a sheet would give it, Apply clicked twice at once, the bot SIGKILLed
 * mid-batch and restarted on the same data directory. Every row must become exactly one contact, and no create may
 * meet a 429. The tenant's contact quota is raised (the emulator's limit and the bot's `rateLimits` alike) so the
 * drill takes seconds, not the documented 20 a minute.
 */
import { setTimeout as pause } from 'node:timers/promises';
import type { Emulator } from '../../src/emulator/index.js';
import { BotProcess, freshWorld, n, row, text, type Row } from './kit.js';
import { command, waitFor } from './people.js';

const MAILBOX = 'zhangwei@feishu-ops.example';
const CREATE = `/open-apis/mail/v1/user_mailboxes/${MAILBOX}/mail_contacts`;
/** The emulator's quota for the tenant, and the bot's configured pace: under it, as an operator would set it. */
const TENANT_QUOTA = { perSecond: 10, perMinute: 600 };
const BOT = { app: { rateLimits: { 'mail.contact.create': { perSecond: 5, perMinute: 300 } } } };

const address = (i: number) => `drill-partner${i}@partner.example`;
const contacts = (emu: Emulator) =>
  (emu.state.snapshot() as { mail: { contacts: Record<string, { mail_address?: string }[]> } }).mail.contacts[
    MAILBOX
  ] ?? [];

export async function bulkDrill(): Promise<Row> {
  const world = await freshWorld({ bot: BOT });
  const { emu, dataDir } = world;
  await fetch(`${emu.url}/_emulator/limits`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      route: `POST /open-apis/mail/v1/user_mailboxes/:user_mailbox_id/mail_contacts`,
      ...TENANT_QUOTA,
    }),
  });
  const total = n(80);
  const table = [
    '姓名,邮箱,公司',
    ...Array.from({ length: total }, (_, i) => `伙伴${i},${address(i)},"伙伴公司, 第 ${i % 7} 组"`),
  ];
  const problems: string[] = [];
  const plan = await command(emu, '张伟', `/bulk contacts\n${table.join('\n')}`, 20_000);
  if (!plan || !text(plan.card).includes(`**将创建**：${total}`)) {
    problems.push(`the plan card: ${text(plan?.card).slice(0, 200)}`);
    return row({ drill: `/bulk contacts ×${total}`, tried: total, lost: total, problems: 1, note: problems[0] });
  }
  // A double click on Apply: one batch.
  await Promise.all(
    [0, 1].map(() =>
      emu.delivery
        .click({ messageId: plan.messageId, by: '张伟', action: 'bulk.apply-contacts' })
        .catch(() => undefined),
    ),
  );
  await waitFor(() => (contacts(emu).length >= total / 3 ? true : undefined), 30_000);
  await world.bot.stop('SIGKILL');
  const atKill = contacts(emu).length;
  await new BotProcess(emu, dataDir, BOT).start();
  await waitFor(() => (contacts(emu).length >= total ? true : undefined), 45_000);
  // Late duplicates would show within a second or two.
  await pause(1_500);

  const held = new Map<string, number>();
  for (const c of contacts(emu)) if (c.mail_address) held.set(c.mail_address, (held.get(c.mail_address) ?? 0) + 1);
  const counts = Array.from({ length: total }, (_, i) => held.get(address(i)) ?? 0);
  const creates = emu.kit.calls.filter((c) => c.method === 'POST' && c.path === CREATE);
  const throttled = creates.filter((c) => c.status === 429).length;
  if (throttled) problems.push(`${throttled} creates answered 429`);
  const card = text(emu.state.messages.get(plan.messageId)?.card);
  if (counts.every((c) => c === 1) && !card.includes(`**完成**：${total}`))
    problems.push('every row was created, but the card does not say so');
  return row({
    drill: `/bulk contacts ×${total}, Apply clicked twice, SIGKILL mid-batch (${atKill} made before it)`,
    tried: total,
    completed: counts.filter((c) => c === 1).length,
    lost: counts.filter((c) => c === 0).length,
    duplicated: counts.filter((c) => c > 1).length,
    problems: problems.length,
    note: [`${creates.length} create calls, ${throttled} × 429`, ...problems].join('; '),
  });
}
