/**
 * Who is leaving, resolved once when their offboarding run starts and kept on it: their names, every address their
 * contacts may hold, and who takes over their chats (their leader, unless a step names someone). Feishu may no longer
 * return a person who has left, so what the event (or the @mention) carried fills in; a leader who has also left or
 * cannot be looked up is kept as a named problem, never an error.
 */
import { z } from 'zod';
import { FeishuError } from '../src/feishu/errors.js';
import type { DirectoryPort, FeishuUser } from '../src/feishu/ports.js';
import { t, textSchema, type Text } from '../src/i18n.js';

export const leaverSchema = z.object({
  openId: z.string(),
  name: z.string(),
  /** Enterprise and contact addresses, lower-case: contacts holding one of them are theirs. */
  emails: z.array(z.string()),
  leaderOpenId: z.string().optional(),
  leaderName: z.string().optional(),
  /** Why there is no leader to hand chats to or to tell. */
  leaderProblem: textSchema.optional(),
  /** The directory did not return them: the rest came from the event or the mention. */
  unlisted: z.boolean().default(false),
});
export type Leaver = z.infer<typeof leaverSchema>;

/** What the trigger knew of them: contact.user.deleted_v3's user object, or an @mention's name. */
export interface KnownLeaver {
  name?: string;
  email?: string;
  enterprise_email?: string;
  leader_user_id?: string;
}

/**
 * A fresh look-up (whether someone has left matters here); one Feishu refused for good (out of scope, gone):
 * undefined; a transient failure is thrown for a retry.
 */
async function lookUp(directory: DirectoryPort, id: string, type?: 'user_id'): Promise<FeishuUser | undefined> {
  try {
    return await directory.getUser(id, type, { fresh: true });
  } catch (err) {
    if (err instanceof FeishuError && err.kind !== 'transient') return undefined;
    throw err;
  }
}

export async function resolveLeaver(
  directory: DirectoryPort,
  openId: string,
  known: KnownLeaver = {},
): Promise<Leaver> {
  const u = await lookUp(directory, openId);
  const name = u?.name || known.name || openId;
  const emails = [
    ...new Set(
      [u?.enterpriseEmail, u?.email, known.enterprise_email, known.email].flatMap((e) => (e ? [e.toLowerCase()] : [])),
    ),
  ];
  const leaderId = u?.leaderUserId ?? known.leader_user_id;
  const leader = leaderId ? await lookUp(directory, leaderId, 'user_id') : undefined;
  const leaderProblem: Text | undefined = !leaderId
    ? t('offboard.noLeaderInDirectory', { name })
    : !leader
      ? t('offboard.leaderUnknown', { name, id: leaderId })
      : leader.isResigned
        ? t('offboard.leaderLeft', { name, leader: leader.name })
        : undefined;
  return {
    openId,
    name,
    emails,
    ...(leader ? { leaderOpenId: leader.openId, leaderName: leader.name } : {}),
    ...(leaderProblem ? { leaderProblem } : {}),
    unlisted: !u,
  };
}

/** Whom a step hands chats to: the named person (`to`) or the leader; or why nobody. */
export async function successorOf(
  directory: DirectoryPort,
  leaver: Leaver,
  to: string | undefined,
): Promise<{ openId: string; name: string } | { problem: Text }> {
  if (!to) {
    if (leaver.leaderProblem || !leaver.leaderOpenId) return { problem: leaver.leaderProblem ?? noLeader(leaver) };
    return { openId: leaver.leaderOpenId, name: leaver.leaderName ?? leaver.leaderOpenId };
  }
  const u = await lookUp(directory, to);
  if (!u) return { problem: t('offboard.successorUnknown', { id: to }) };
  if (u.isResigned) return { problem: t('offboard.successorLeft', { name: u.name }) };
  return { openId: u.openId, name: u.name };
}

export const noLeader = (l: Leaver): Text => t('offboard.noLeader', { name: l.name });
