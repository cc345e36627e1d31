/**
 * What /draft and /mail send share: their arguments, the body as typed, recipients resolved from addresses and
 * @mentions (kept as structured mailboxes for the MIME library), the sender's own mailbox, and their failure cards.
 */
import { z } from 'zod';
import { feishuErrorCard, type Card } from '../cards/index.js';
import { FeishuError } from '../src/feishu/errors.js';
import type { DirectoryPort } from '../src/feishu/ports.js';
import { t, type Text } from '../src/i18n.js';
import { deriveKey } from '../src/keys.js';
import type { ComposedMail, Mailbox } from '../src/mail/compose.js';
import { userRef, type Ctx } from './provision.js';
import { needsSignIn, signInFor, type MailAuth } from './sign-in.js';
import { msg } from '../src/commands/spec.js';

const recipientList = z.union([userRef, z.string()]);

/** What /draft and /mail send take: recipients as addresses or @mentions, a subject, a body that may span lines. */
export const mailArgs = z.object({
  to: recipientList.optional().describe(msg('mail.args.to')),
  cc: recipientList.optional().describe(msg('mail.args.cc')),
  bcc: recipientList.optional().describe(msg('mail.args.bcc')),
  subject: z.string().optional().describe(msg('mail.args.subject')),
  body: z.array(z.string()).optional().describe(msg('mail.args.body')),
  people: z.array(userRef).optional().describe(msg('mail.args.people')),
});
export type MailArgs = z.infer<typeof mailArgs>;

/**
 * The body as typed: the words after the options on the first line, then every following line verbatim (the parser
 * reads only the first line of a command with `bodyLines`), so line breaks and Markdown survive.
 */
export function bodyText(text: string | undefined, words: readonly string[]): string {
  const nl = text?.indexOf('\n') ?? -1;
  const firstLine = words.join(' ');
  if (text === undefined || nl === -1) return firstLine;
  const rest = text.slice(nl + 1);
  return firstLine ? `${firstLine}\n${rest}` : rest;
}

export interface Recipients {
  to: Mailbox[];
  cc: Mailbox[];
  bcc: Mailbox[];
}

/** "a@x, 李娜 <lina@y>; b@z": commas or semicolons between entries, a display name before <address>. */
export function parseAddresses(s: string): Mailbox[] {
  return s.split(/[,，;；]/).flatMap((piece) => {
    const named = /^\s*(.*?)\s*<([^>]*)>\s*$/.exec(piece);
    if (named) return [{ address: named[2]!.trim(), ...(named[1] ? { name: named[1] } : {}) }];
    return piece
      .split(/\s+/)
      .filter(Boolean)
      .map((address) => ({ address }));
  });
}

/** Addresses as typed, @mentions as their enterprise mailbox; every unusable entry is named. */
export async function resolveRecipients(
  directory: DirectoryPort,
  a: Pick<MailArgs, 'to' | 'cc' | 'bcc' | 'people'>,
): Promise<{ ok: true; recipients: Recipients } | { ok: false; problems: Text[] }> {
  const problems: Text[] = [];
  const resolveOne = async (field: string, v: z.infer<typeof recipientList> | undefined): Promise<Mailbox[]> => {
    if (v === undefined) return [];
    if (typeof v !== 'string') {
      const user = await directory.getUser(v.openId).catch(() => undefined);
      if (user?.enterpriseEmail) return [{ address: user.enterpriseEmail, name: user.name }];
      problems.push(t('mail.noOrgMailbox', { field, name: v.name }));
      return [];
    }
    return parseAddresses(v).flatMap((m) => {
      if (m.address.startsWith('@')) {
        problems.push(t('mail.oneMention', { field }));
        return [];
      }
      return [m];
    });
  };
  const to = await resolveOne('to', a.to);
  for (const p of a.people ?? []) to.push(...(await resolveOne('to', p)));
  const recipients = { to, cc: await resolveOne('cc', a.cc), bcc: await resolveOne('bcc', a.bcc) };
  return problems.length ? { ok: false, problems } : { ok: true, recipients };
}

/** The ports take the EML itself and encode it for the wire. */
export const emlOf = (mail: ComposedMail): Buffer => Buffer.from(mail.raw, 'base64url');

/** Who sends: the signed-in user's own enterprise mailbox (Feishu's sender check, 1236017). */
export async function senderOf(
  auth: MailAuth,
  openId: string,
): Promise<{ from: Mailbox } | 'not_signed_in' | 'no_mailbox'> {
  const status = await auth.status(openId);
  if (!status.signedIn) return 'not_signed_in';
  if (!status.mailbox) return 'no_mailbox';
  return { from: { address: status.mailbox, name: status.name } };
}

export const NO_MAILBOX: Text = t('mail.noMailbox');

export const TITLE_SEND_FAILED: Text = t('mail.notSent');

/** The card for a failed mail call; a lapsed sign-in gets the sign-in card (resuming the command with `resume` when given). */
export async function mailFailure(
  ctx: Ctx,
  auth: MailAuth,
  title: Text,
  err: unknown,
  resume?: MailArgs,
): Promise<Card> {
  if (needsSignIn(err)) return signInFor(ctx, auth, resume, err);
  if (err instanceof FeishuError) return feishuErrorCard(title, err);
  throw err;
}

/** A dedupe_key for Feishu from the triggering event: a redelivery carries the same one. */
export const dedupeKeyOf = (ctx: Ctx): string => deriveKey(`mail-send|${ctx.dedupeKey}`);
