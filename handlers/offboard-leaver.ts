/**
 * Who is leaving, resolved once when their offboarding run starts and kept on it: their names, every address their
 * contacts may hold, and who takes over their chats (their leader, unless a step names someone). Feishu may no longer
 * return a person who has left, so what the event (or the @mention) carried fills in; a leader who has also left or
 * cannot be looked up is kept as a named problem, never an error.
 */
import { z } from 'zod';
import { bilingualSchema, type Bilingual } from '../src/card.js';
import { FeishuError } from '../src/feishu/errors.js';
import type { DirectoryPort, FeishuUser } from '../src/feishu/ports.js';

export const leaverSchema = z.object({
  openId: z.string(),
  name: z.string(),
  /** Enterprise and contact addresses, lower-case: contacts holding one of them are theirs. */
  emails: z.array(z.string()),
  leaderOpenId: z.string().optional(),
  leaderName: z.string().optional(),
  /** Why there is no leader to hand chats to or to tell. */
  leaderProblem: bilingualSchema.optional(),
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
  const leaderProblem: Bilingual | undefined = !leaderId
    ? { zh: `通讯录里没有 ${name} 的上级`, en: `the directory names no leader for ${name}` }
    : !leader
      ? {
          zh: `查不到 ${name} 的上级（user_id ${leaderId}）：可能已离职或不在应用的通讯录范围内`,
          en: `${name}'s leader (user_id ${leaderId}) cannot be looked up: they may have left or be outside the app's contact scope`,
        }
      : leader.isResigned
        ? { zh: `${name} 的上级 ${leader.name} 也已离职`, en: `${name}'s leader ${leader.name} has also left` }
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
): Promise<{ openId: string; name: string } | { problem: Bilingual }> {
  if (!to) {
    if (leaver.leaderProblem || !leaver.leaderOpenId) return { problem: leaver.leaderProblem ?? noLeader(leaver) };
    return { openId: leaver.leaderOpenId, name: leaver.leaderName ?? leaver.leaderOpenId };
  }
  const u = await lookUp(directory, to);
  if (!u) return { problem: { zh: `查不到接手人 ${to}`, en: `the successor ${to} cannot be looked up` } };
  if (u.isResigned) return { problem: { zh: `接手人 ${u.name} 已离职`, en: `the successor ${u.name} has left` } };
  return { openId: u.openId, name: u.name };
}

const noLeader = (l: Leaver): Bilingual => ({ zh: `${l.name} 没有上级`, en: `${l.name} has no leader` });

/** Bilingual problems as one reason, each on its own. */
export const joinProblems = (list: Bilingual[]): Bilingual => ({
  zh: list.map((p) => p.zh).join('；'),
  en: list.map((p) => p.en).join('; '),
});
