/**
 * What offboarding would act on, found by reads only: the dry run shows it, and each step acts on what it finds at
 * that moment (so a run resumed after a crash finds what is left, and does nothing twice). Each problem names what a
 * person must do, prefixed with the config path to fix where there is one.
 */
import type { OffboardingStep } from '../src/config.js';
import { FeishuError } from '../src/feishu/errors.js';
import type { ChatSummary, FeishuPorts, MailContact } from '../src/feishu/ports.js';
import { t, type Text } from '../src/i18n.js';
import { listOf } from '../src/i18n.js';
import { at, chatProblem, explained } from './onboard-checks.js';
import type { Leaver } from './offboard-leaver.js';

type Step<K extends OffboardingStep['kind']> = Extract<OffboardingStep, { kind: K }>;

/** A Feishu refusal (not a passing failure, which is thrown for a retry) as what to do about it. */
export function refusal(err: unknown, what: Text): Text {
  if (!(err instanceof FeishuError) || err.kind === 'transient') throw err;
  return explained(what, err);
}

export interface HeldMailgroup {
  email: string;
  mailgroupId: string;
  /** The leaver's member ids in it (as a user, or by one of their addresses). */
  memberIds: string[];
}

/** The mail groups (listed, or every one of the tenant) that still have the leaver. */
export async function mailgroupsHolding(
  g: FeishuPorts,
  leaver: Leaver,
  step: Step<'remove-from-mailgroups'>,
  where: string,
): Promise<{ held: HeldMailgroup[]; problems: Text[] }> {
  const problems: Text[] = [];
  const groups = step.mailgroups
    ? (
        await Promise.all(
          step.mailgroups.map(async (address, j) => {
            const found = await g.mailgroups.get(address);
            if (!found) problems.push(at(`${where}.mailgroups[${j}]`, t('offboard.survey.noMailgroup', { address })));
            return found;
          }),
        )
      ).flatMap((x) => (x ? [x] : []))
    : await g.mailgroups.list();
  const addresses = new Set(leaver.emails);
  const held: HeldMailgroup[] = [];
  for (const group of groups) {
    const memberIds = (await g.mailgroups.members(group.mailgroupId)).flatMap((m) =>
      (m.type === 'USER' && m.userId === leaver.openId) || ('email' in m && addresses.has(m.email.toLowerCase()))
        ? [m.memberId]
        : [],
    );
    if (memberIds.length) held.push({ email: group.email, mailgroupId: group.mailgroupId, memberIds });
  }
  return { held, problems };
}

/** The group chats the bot is in that the leaver owns. */
export async function ownedChats(g: FeishuPorts, leaver: Leaver): Promise<ChatSummary[]> {
  return (await g.chats.list()).filter((c) => c.ownerId === leaver.openId);
}

export interface ListedChat {
  chatId: string;
  name: string;
  member: boolean;
}

/** The listed chats the bot can act on, and for the others (bot not in it, no such chat, still theirs) what to do. */
export async function listedChats(
  g: FeishuPorts,
  leaver: Leaver,
  step: Step<'remove-from-chats'>,
  where: string,
): Promise<{ chats: ListedChat[]; problems: Text[] }> {
  const chats: ListedChat[] = [];
  const problems: Text[] = [];
  for (const [j, chatId] of step.chats.entries()) {
    const path = `${where}.chats[${j}]`;
    const cannot = await chatProblem(g, chatId);
    if (cannot) {
      problems.push(at(path, t('offboard.survey.orByHand', { problem: cannot, name: leaver.name })));
      continue;
    }
    const info = await g.chats.get(chatId);
    if (info.ownerId === leaver.openId) {
      problems.push(at(path, t('offboard.survey.stillOwner', { name: leaver.name, chat: info.name })));
      continue;
    }
    const member = (await g.chats.members(chatId)).some((m) => m.openId === leaver.openId);
    chats.push({ chatId, name: info.name, member });
  }
  return { chats, problems };
}

/** The contacts holding the leaver's addresses, by mailbox. */
export async function contactsOf(
  g: FeishuPorts,
  leaver: Leaver,
  step: Step<'delete-contacts'>,
): Promise<{ found: { mailbox: string; contacts: MailContact[] }[]; problems: Text[] }> {
  if (!leaver.emails.length)
    return {
      found: [],
      problems: [t('offboard.survey.addressesUnknown', { name: leaver.name, mailboxes: listOf(step.mailboxes) })],
    };
  const found: { mailbox: string; contacts: MailContact[] }[] = [];
  const problems: Text[] = [];
  for (const mailbox of step.mailboxes) {
    try {
      const contacts = (await g.mailbox.listContacts(mailbox)).filter(
        (c) => c.mailAddress !== undefined && leaver.emails.includes(c.mailAddress.toLowerCase()),
      );
      found.push({ mailbox, contacts });
    } catch (err) {
      problems.push(refusal(err, t('offboard.survey.couldNotReadContacts', { mailbox })));
    }
  }
  return { found, problems };
}
