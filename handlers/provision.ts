/**
 * What the provisioning handlers (/group, /mailgroup, /contact) share: member checks that name every unusable member,
 * the requester's mailbox, argument types and error cards. Exactly-once effects and progress cards are the
 * framework's (src/effects/).
 */
import { z } from 'zod';
import { feishuErrorCard, type Card } from '../cards/index.js';

import { FeishuError, isContentRefused, isUserOutOfReach } from '../src/feishu/errors.js';
import type { ChatsPort, DirectoryPort } from '../src/feishu/ports.js';
import { t, type Text } from '../src/i18n.js';

import type { Ctx } from '../src/effects/once.js';
import { msg } from '../src/commands/spec.js';

export type { Ctx };

/** A user as the parser hands over an @mention (also `owner=@user`). */
export const userRef = z.object({ openId: z.string(), name: z.string() });
export type UserRef = z.infer<typeof userRef>;

/** Length in characters (code points), as the Feishu docs count them; the message names the limit and the length. */
export function chars(max: number, min = 0) {
  return z.string().superRefine((s, issue) => {
    const n = [...s].length;
    if (n >= min && n <= max) return;
    issue.addIssue({
      code: 'custom',
      message:
        min > 0 ? msg('commands.args.lengthBetween', { min, max, n }) : msg('commands.args.lengthAtMost', { max, n }),
    });
  });
}

/**
 * A Feishu failure as a card naming the problem and the next step; anything else is a bug for the error boundary.
 * `example` (the command to try again) is left out when content review refused the text: it would fail the same way.
 */
export function failureCard(title: Text, err: unknown, example?: string): Card {
  if (err instanceof FeishuError) return feishuErrorCard(title, err, isContentRefused(err) ? undefined : example);
  throw err;
}

export interface Unusable {
  openId: string;
  name: string;
  /** Why, as a predicate after the name: "has left the organisation". */
  reason: Text;
}

/**
 * Looks every user up before any create call, so one resigned or out-of-scope member does not fail the whole
 * call (Feishu rejects the entire chat create for one such id) and each is reported by name.
 */
export async function checkUsers(
  directory: DirectoryPort,
  users: readonly UserRef[],
): Promise<{ usable: UserRef[]; unusable: Unusable[] }> {
  const unique = [...new Map(users.map((u) => [u.openId, u])).values()];
  const verdicts = await Promise.all(
    unique.map(async (u): Promise<Unusable | undefined> => {
      try {
        const found = await directory.getUser(u.openId);
        return found.isResigned ? { ...u, reason: t('group.unusable.resigned') } : undefined;
      } catch (err) {
        if (isUserOutOfReach(err)) return { ...u, reason: t('group.unusable.outOfScope') };
        throw err;
      }
    }),
  );
  return {
    usable: unique.filter((_, i) => verdicts[i] === undefined),
    unusable: verdicts.filter((v): v is Unusable => v !== undefined),
  };
}

/** "赵敏：已离职": a member left out, and why. */
export const describeUnusable = (u: Unusable): Text => t('group.unusable.line', { name: u.name, reason: u.reason });

/** Chats as cards name them: each by its name, or its id when Feishu cannot say (the bot is not in it, it is gone). */
export const chatNames = (chats: ChatsPort, chatIds: readonly string[]): Promise<string[]> =>
  Promise.all(
    chatIds.map((id) =>
      chats.get(id).then(
        (c) => c.name || id,
        () => id,
      ),
    ),
  );

/** The requester's own mailbox address: the handlers use the tenant token, which cannot say "me". */
export async function ownMailbox(ctx: Ctx): Promise<string | undefined> {
  const user = await ctx.gateway.directory.getUser(ctx.sender.openId);
  return user.enterpriseEmail;
}

export const domainOf = (address: string): string => address.slice(address.lastIndexOf('@') + 1).toLowerCase();
