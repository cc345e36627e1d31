/**
 * Taking a change back: its inverses run one at a time, last effect first, each marked in the change's record as it
 * ends, so a crash, a repeated click or a redelivered callback resumes with what is left and never runs an inverse
 * that finished. One claim per change keeps two undoers (two clicks, two instances) from running at once.
 */

import type { HandlerStore } from '../context.js';
import { withClaim } from '../effects/claim.js';
import { FeishuError, needsSignIn } from '../feishu/errors.js';
import { asUser, TENANT, type FeishuPorts } from '../feishu/ports.js';
import { listOf, t, type Text } from '../i18n.js';
import { loadChange, saveChange, type Change, type Inverse, type UndoStep } from './journal.js';

export type UndoOutcome = { state: 'undone' | 'partial'; change: Change } | { state: 'busy' } | { state: 'missing' };

const LEASE_MS = 5_000;

/**
 * Runs what is left of the change's inverses as `by`; the record says afterwards what was undone and what not.
 * `waitMs`: how long to wait for another undoer (perhaps one that died) before answering busy.
 */
export async function undoChange(
  g: FeishuPorts,
  store: HandlerStore,
  id: string,
  by: string,
  now: () => number,
  opts: { waitMs?: number } = {},
): Promise<UndoOutcome> {
  const held = await withClaim(
    store,
    `undo:${id}`,
    { ttlMs: 10 * 60_000, leaseMs: LEASE_MS, waitMs: opts.waitMs ?? 0, then: 'release' },
    async (): Promise<UndoOutcome> => {
      const change = await loadChange(store, id);
      if (!change) return { state: 'missing' };
      if (change.undone) return { state: 'undone', change };
      for (const [i, step] of change.steps.entries()) {
        if (step.state === 'done') continue;
        change.steps[i] = await run(g, step.undo);
        await saveChange(store, change);
      }
      const left = change.steps.some((s) => s.state !== 'done');
      if (!left) {
        change.undone = { at: now(), by };
        await saveChange(store, change);
      }
      return { state: left ? 'partial' : 'undone', change };
    },
  );
  return held.state === 'ran' ? held.value : { state: 'busy' };
}

/** One inverse; a Feishu refusal is a failed step with Feishu's reason, anything else a bug for the boundary. */
async function run(g: FeishuPorts, undo: Inverse): Promise<UndoStep> {
  try {
    const problem = await apply(g, undo);
    return problem ? { undo, state: 'failed', problem } : { undo, state: 'done' };
  } catch (err) {
    if (needsSignIn(err)) return { undo, state: 'failed', problem: t('undo.problem.signIn') };
    if (!(err instanceof FeishuError)) throw err;
    return { undo, state: 'failed', problem: err.explain().problem };
  }
}

/** Performs the inverse; returns why part of it could not be done, if so. */
async function apply(g: FeishuPorts, u: Inverse): Promise<Text | undefined> {
  switch (u.op) {
    case 'chat.dissolve':
      return void (await g.chats.dissolve(u.chatId));
    case 'chat.members.remove': {
      const { notRemoved } = await g.chats.removeMembers(
        u.chatId,
        u.users.map((p) => p.openId),
      );
      if (!notRemoved.length) return undefined;
      const names = u.users.filter((p) => notRemoved.includes(p.openId)).map((p) => p.name);
      return t('undo.problem.ownerStays', { users: listOf(names) });
    }
    case 'mailgroup.delete':
      return void (await g.mailgroups.delete(u.mailgroupId));
    case 'mailgroup.members.remove': {
      const users = new Set(u.users.map((p) => p.openId));
      const present = await g.mailgroups.members(u.mailgroupId);
      const ids = present.flatMap((m) => (m.type === 'USER' && users.has(m.userId) ? [m.memberId] : []));
      // Members already gone need nothing more.
      if (ids.length) await g.mailgroups.removeMembers(u.mailgroupId, ids);
      return undefined;
    }
    case 'contact.delete':
      return void (await g.mailbox.deleteContact(u.mailbox, u.contactId, {
        as: u.asUser ? asUser(u.asUser) : TENANT,
      }));
    case 'message.recall':
      return void (await g.im.recall(u.messageId));
  }
}
