/**
 * The bot's record of each draft it made: who may act on it and what its preview shows. It holds the body and the
 * Bcc, so it is sealed like the sign-in tokens (AES-256-GCM under TOKEN_ENCRYPTION_KEY) before it reaches the store,
 * and deleted once the draft is sent or discarded.
 */
import { z } from 'zod';
import type { Sealing } from '../src/auth/seal.js';
import { asUser, type MailboxPort } from '../src/feishu/ports.js';
import { composeMail, type ComposedMail, type MailProblem } from '../src/mail/compose.js';
import { keyspace } from '../src/store/keyspace.js';
import type { KvPort } from '../src/store/store.js';
import { emlOf, senderOf, type Recipients } from './mail-compose.js';
import type { MailAuth } from './sign-in.js';

const DAY = 86_400_000;

/** What the bot keeps about a draft it made, until it is sent or discarded: who may act on it, what the preview shows. */
export const draftRecord = z.object({
  author: z.string(),
  mailbox: z.string(),
  fromName: z.string(),
  to: z.array(z.string()),
  cc: z.array(z.string()),
  bcc: z.array(z.string()),
  subject: z.string(),
  body: z.string(),
  size: z.number(),
  /** How often Undo send took this draft back: each Send after it is a new hold. */
  sendAttempt: z.number().int().min(0).optional(),
});
export type DraftRecord = z.infer<typeof draftRecord>;
/** A record stored before records were sealed: in clear, kept after its draft was sent or discarded. */
const clearRecord = draftRecord.extend({ state: z.enum(['draft', 'sent', 'discarded']) });
/** A DraftRecord sealed with its key as the associated data, so it opens under no other draft's id (or a clear one). */
const drafts = keyspace('draft', z.union([z.string(), clearRecord]), 30 * DAY);

/** Where draft records are kept: the store, and the sealer that keeps them unreadable there. */
export interface DraftKeeping {
  kv: KvPort;
  sealer: Sealing;
}

export const writeDraft = ({ kv, sealer }: DraftKeeping, draftId: string, r: DraftRecord): Promise<void> =>
  drafts.set(kv, draftId, sealer.seal(draftRecord.parse(r), drafts.key(draftId)));

/**
 * The record, or undefined when there is none (never made, sent, discarded, expired) or it cannot be opened. A clear
 * record is sealed (or, once its draft is settled, deleted) the first time it is read.
 */
export async function readDraft(keeping: DraftKeeping, draftId: string): Promise<DraftRecord | undefined> {
  const stored = await drafts.get(keeping.kv, draftId);
  if (typeof stored === 'string') {
    const opened = draftRecord.safeParse(keeping.sealer.open(stored, drafts.key(draftId)));
    return opened.success ? opened.data : undefined;
  }
  if (stored === undefined) return undefined;
  const { state, ...record } = stored;
  if (state !== 'draft') return void (await drafts.delete(keeping.kv, draftId));
  await writeDraft(keeping, draftId, record);
  return record;
}

/**
 * A sent or discarded draft's record goes: its fate's card is recorded by then (`once`), and a crash before this
 * line leaves a record whose next click replays that card.
 */
export const forgetDraft = (kv: KvPort, draftId: string): Promise<void> => drafts.delete(kv, draftId);

export interface DraftInput extends Recipients {
  subject: string;
  body: string;
}

export type CreatedDraft =
  | { ok: true; draftId: string; mail: ComposedMail; record: DraftRecord }
  | { ok: false; reason: 'not_signed_in' }
  | { ok: false; reason: 'no_mailbox' }
  | { ok: false; reason: 'invalid'; problems: MailProblem[] };

/** What a draft record keeps of the mail it was made (or last saved) from. */
export const recordedMail = (input: DraftInput, mail: ComposedMail) => ({
  to: input.to.map((m) => m.address),
  cc: input.cc.map((m) => m.address),
  bcc: input.bcc.map((m) => m.address),
  subject: input.subject.trim(),
  body: input.body,
  size: mail.size,
});

/**
 * Composes a mail as `openId` and saves it as a draft in their mailbox, recording who may send it. Usable outside a
 * chat command (onboarding). Throws FeishuError on a failed call, and NeedsSignIn when the sign-in has lapsed.
 * `seed` makes the Message-ID a function of the triggering event.
 */
export async function createDraftFor(
  deps: DraftKeeping & { mailbox: MailboxPort; auth: MailAuth },
  openId: string,
  input: DraftInput,
  seed?: string,
): Promise<CreatedDraft> {
  const sender = await senderOf(deps.auth, openId);
  if (sender === 'not_signed_in' || sender === 'no_mailbox') return { ok: false, reason: sender };
  const composed = await composeMail(
    { from: sender.from, ...input },
    seed === undefined ? {} : { messageIdSeed: seed },
  );
  if (!composed.ok) return { ok: false, reason: 'invalid', problems: composed.problems };
  const { draftId } = await deps.mailbox.createDraft(sender.from.address, emlOf(composed.mail), { as: asUser(openId) });
  const record: DraftRecord = {
    author: openId,
    mailbox: sender.from.address,
    fromName: sender.from.name ?? '',
    ...recordedMail(input, composed.mail),
  };
  await writeDraft(deps, draftId, record);
  return { ok: true, draftId, mail: composed.mail, record };
}
