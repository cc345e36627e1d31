/**
 * Undo under 10 % faults: chats made by /group create are undone from their cards, half of them by a double click,
 * while a tenth of the Open API calls fail (5xx, 429, timeouts, dropped and performed-then-dropped answers). A chat must
 * never be dissolved twice, and none may be left half-undone without an amber (or red) card saying so; a card must not
 * claim more than happened. Amber cards get one Retry, as a person would click it.
 */
import { setTimeout as pause } from 'node:timers/promises';
import type { Emulator } from '../../src/emulator/index.js';
import { commands, freshWorld, n, row, settle, text, type Row } from './kit.js';
import { waitFor } from './people.js';

const FAULTS = [{ code: 20050 }, { code: 99991400 }, { latencyMs: 2_500 }, { drop: true }, { dropAfter: true }];

async function faults(emu: Emulator, rate: number): Promise<void> {
  for (const f of FAULTS)
    await fetch(`${emu.url}/_emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pathPrefix: '/open-apis/', errorRate: rate / FAULTS.length, ...f }),
    });
}

const header = (card: unknown) => (card as { header?: { template?: string } } | undefined)?.header?.template;
/** The card a click left, once it is final: green undone, orange partly undone, red failed; undefined while working. */
const settled = (card: unknown): string | undefined => {
  const h = header(card);
  return h === 'green' || h === 'orange' || h === 'red' ? h : undefined;
};

export async function undoDrill(): Promise<Row> {
  const { emu } = await freshWorld();
  const total = n(60);
  const sent = await commands(emu, 'undo', total, () => pause(20));
  await settle(emu, sent, 60_000);
  const cards = sent.flatMap((s) => {
    const reply = [...emu.state.messages.values()].find((m) => m.parentId === s.messageId && m.sender.type === 'app');
    const chat = [...emu.state.chats.values()].find((c) => c.name === s.name && c.chatMode === 'group');
    return reply && chat && text(reply.card).includes('change.undo') ? [{ ...s, reply, chat }] : [];
  });
  const before = emu.kit.calls.length === 0 ? 0 : emu.kit.calls.at(-1)!.seq;
  await faults(emu, 0.1);
  const clickUndo = (messageId: string, by: string, action = 'change.undo') =>
    emu.delivery.click({ messageId, by, action }).catch(() => undefined);
  // Everyone clicks Undo; every other person double-clicks.
  await Promise.all(
    cards.map(async (c, i) => {
      const by = c.reply.chatId && emu.state.users.find((u) => emu.state.p2pChat(u.open_id).chatId === c.reply.chatId);
      const who = by ? by.name : '张伟';
      await clickUndo(c.reply.messageId, who);
      if (i % 2 === 0) await clickUndo(c.reply.messageId, who);
    }),
  );
  const final = async (messageId: string) =>
    waitFor(() => settled(emu.state.messages.get(messageId)?.card), 30_000).then(() =>
      header(emu.state.messages.get(messageId)?.card),
    );
  // One Retry where a card says something is left, as a person would click it.
  for (const c of cards) {
    if ((await final(c.reply.messageId)) !== 'orange') continue;
    const by = emu.state.users.find((u) => emu.state.p2pChat(u.open_id).chatId === c.reply.chatId)?.name ?? '张伟';
    await clickUndo(c.reply.messageId, by);
  }
  await fetch(`${emu.url}/_emulator/faults`, { method: 'DELETE' });
  const faulted = emu.kit.calls.filter((x) => x.seq > before && x.status !== 200).length;
  const r = { completed: 0, reportedFailed: 0, lost: 0, duplicated: 0, problems: 0 };
  const notes: string[] = [];
  for (const c of cards) {
    const colour = await final(c.reply.messageId);
    const dissolved = emu.state.chats.get(c.chat.chatId)?.dissolvedAt !== undefined;
    const dissolves = emu.kit.calls.filter(
      (x) => x.method === 'DELETE' && x.path === `/open-apis/im/v1/chats/${c.chat.chatId}` && x.status === 200,
    ).length;
    if (dissolves > 1) r.duplicated++;
    if (colour === 'green' && dissolved) r.completed++;
    else if ((colour === 'orange' || colour === 'red') && !dissolved) r.reportedFailed++;
    else if (colour === 'green' || (dissolved && colour !== 'green')) {
      r.problems++;
      notes.push(`${c.name}: card ${colour ?? 'working'}, chat ${dissolved ? 'dissolved' : 'still there'}`);
    } else r.lost++;
  }
  return row({
    drill: `Undo of ${cards.length} chats under 10 % faults, half double-clicked`,
    tried: total,
    ...r,
    lost: r.lost + (total - cards.length),
    note: [`${faulted} calls failed or were slowed by the faults`, ...notes.slice(0, 3)].join('; '),
  });
}
