/**
 * A user's mailbox (mail/v1/user_mailboxes/:mailbox): contacts, drafts and sending. Contacts take the tenant token
 * or the user's; drafts and sending need the user's own token (Feishu "创建邮箱联系人", "创建草稿", "发送邮件").
 */
import { z } from 'zod';
import type { FeishuClient } from '../client/client.js';
import { need, parse, retrySafeId } from '../client/wire.js';
import { isAlreadyGone, isContactParamError } from '../errors.js';
import type { Principal, UserPrincipal } from '../principal.js';
import { emailSchema } from './shared.js';

export const mailContactSchema = z.object({
  name: z.string().min(1, 'a contact needs a name'),
  mailAddress: emailSchema.optional(),
  company: z.string().optional(),
  phone: z.string().optional(),
  position: z.string().optional(),
  tag: z.string().optional(),
  remark: z.string().optional(),
});
export type MailContactInput = z.input<typeof mailContactSchema>;

const address = z.object({ mail_address: emailSchema, name: z.string().optional() });
export const sendMailSchema = z
  .object({
    subject: z.string().optional(),
    to: z.array(address).optional(),
    cc: z.array(address).optional(),
    bcc: z.array(address).optional(),
    /** A whole EML message; the client base64url-encodes it. */
    raw: z.string().optional(),
    body_html: z.string().optional(),
    body_plain_text: z.string().optional(),
    /** Idempotency key for mail send. */
    dedupe_key: z.string().optional(),
  })
  .refine(
    (b) => b.raw !== undefined || (b.to?.length ?? 0) > 0,
    'give either raw (a whole EML) or at least one "to" address',
  );
export type SendMailInput = z.input<typeof sendMailSchema>;

export interface MailContact {
  id: string;
  name: string;
  mailAddress?: string;
  company?: string;
  phone?: string;
  position?: string;
  tag?: string;
  remark?: string;
}

export interface DraftInfo {
  id: string;
  subject?: string;
  raw?: string;
}

/** Mail APIs take EML as base64url (+/ → -_), Feishu "发送邮件" and "创建草稿". */
const base64url = (eml: string | Buffer): string => Buffer.from(eml).toString('base64url');

const CONTACT_FIELDS = ['name', 'mailAddress', 'company', 'phone', 'position', 'tag', 'remark'] as const;

export class MailboxApi {
  constructor(private readonly c: FeishuClient) {}

  /**
   * The create has no idempotency key and contacts carry no creation time: after an unanswered attempt the
   * mailbox's contacts are listed and one with exactly the fields we sent is taken as ours (an identical contact
   * that already existed is then reused, which leaves the mailbox as asked). `mayExist` (a run resumed after a
   * crash) looks before the first attempt too (see lookFirst). `adopted`: found rather than created by this call.
   */
  async createContact(
    mailbox: string,
    contact: MailContactInput,
    opts: { as?: Principal; mayExist?: boolean } = {},
  ): Promise<{ contactId: string; adopted: boolean }> {
    const c = parse(mailContactSchema, contact, 'mailbox.createContact');
    const find = async () => {
      const norm = (f: (typeof CONTACT_FIELDS)[number], v: string | undefined) =>
        f === 'mailAddress' ? (v ?? '').toLowerCase() : (v ?? '');
      const same = (x: MailContact) => CONTACT_FIELDS.every((f) => norm(f, x[f]) === norm(f, c[f]));
      return (await this.listContacts(mailbox, { as: opts.as })).findLast(same);
    };
    const existing = opts.mayExist ? await this.c.lookFirst(find) : undefined;
    if (existing) return { contactId: existing.id, adopted: true };
    let adopted = false;
    const res = await this.c.call(
      'mail.contact.create',
      { as: opts.as },
      (o) =>
        this.c.sdk.mail.v1.userMailboxMailContact.create(
          {
            path: { user_mailbox_id: mailbox },
            data: {
              name: c.name,
              mail_address: c.mailAddress,
              company: c.company,
              phone: c.phone,
              position: c.position,
              tag: c.tag,
              remark: c.remark,
            },
          },
          o,
        ),
      {
        find: async () => {
          const found = await find();
          adopted = found !== undefined;
          return found && { code: 0, data: { mail_contact: { id: found.id, name: found.name } } };
        },
      },
    );
    return { contactId: need(res.data?.mail_contact?.id, 'mail.contact.create', 'data.mail_contact.id'), adopted };
  }

  /** Every contact of a mailbox, 50 per page (the API's maximum). */
  async listContacts(mailbox: string, opts: { as?: Principal } = {}): Promise<MailContact[]> {
    const out: MailContact[] = [];
    let pageToken: string | undefined;
    do {
      const res = await this.c.call('mail.contact.list', { as: opts.as }, (o) =>
        this.c.sdk.mail.v1.userMailboxMailContact.list(
          { path: { user_mailbox_id: mailbox }, params: { page_size: 50, page_token: pageToken } },
          o,
        ),
      );
      for (const x of res.data?.items ?? []) {
        if (!x.id) continue;
        out.push({
          id: x.id,
          name: x.name,
          mailAddress: x.mail_address || undefined,
          company: x.company || undefined,
          phone: x.phone || undefined,
          position: x.position || undefined,
          tag: x.tag || undefined,
          remark: x.remark || undefined,
        });
      }
      pageToken = res.data?.has_more ? res.data.page_token : undefined;
    } while (pageToken);
    return out;
  }

  /**
   * Deletes a contact; one already gone is done. Deleting twice changes nothing, so a lost answer is repeated. Feishu
   * documents no "not found" code here: a parameter error (1230001) is taken as gone only when the mailbox's
   * contacts no longer hold the id.
   */
  async deleteContact(mailbox: string, contactId: string, opts: { as?: Principal } = {}): Promise<void> {
    try {
      await this.c.call('mail.contact.delete', { as: opts.as, idempotent: true }, (o) =>
        this.c.sdk.mail.v1.userMailboxMailContact.delete(
          { path: { user_mailbox_id: mailbox, mail_contact_id: contactId } },
          o,
        ),
      );
    } catch (err) {
      if (isAlreadyGone(err)) return;
      if (isContactParamError(err)) {
        const contacts = await this.listContacts(mailbox, opts);
        if (!contacts.some((c) => c.id === contactId)) return;
      }
      throw err;
    }
  }

  async createDraft(
    mailbox: string,
    rawEml: string | Buffer,
    opts: { as: UserPrincipal },
  ): Promise<{ draftId: string }> {
    const res = await this.c.call('mail.draft.create', { as: opts.as }, (o) =>
      this.c.sdk.mail.v1.userMailboxDraft.create(
        { path: { user_mailbox_id: mailbox }, data: { raw: base64url(rawEml) } },
        o,
      ),
    );
    return { draftId: need(res.data?.draft?.id, 'mail.draft.create', 'data.draft.id') };
  }

  async updateDraft(
    mailbox: string,
    draftId: string,
    rawEml: string | Buffer,
    opts: { as: UserPrincipal },
  ): Promise<void> {
    await this.c.call('mail.draft.update', { as: opts.as }, (o) =>
      this.c.sdk.mail.v1.userMailboxDraft.update(
        { path: { user_mailbox_id: mailbox, draft_id: draftId }, data: { raw: base64url(rawEml) } },
        o,
      ),
    );
  }

  async getDraft(
    mailbox: string,
    draftId: string,
    opts: { as: UserPrincipal; format?: 'metadata' | 'raw' | 'full' },
  ): Promise<DraftInfo> {
    const res = await this.c.call('mail.draft.get', { as: opts.as }, (o) =>
      this.c.sdk.mail.v1.userMailboxDraft.get(
        { path: { user_mailbox_id: mailbox, draft_id: draftId }, params: { format: opts.format ?? 'metadata' } },
        o,
      ),
    );
    const draft = res.data?.draft;
    // `raw` (format=raw) is missing from the SDK typings; the official CLI (larksuite/cli) reads it.
    const message = draft?.message as { subject?: string; raw?: string } | undefined;
    return { id: need(draft?.id, 'mail.draft.get', 'data.draft.id'), subject: message?.subject, raw: message?.raw };
  }

  async deleteDraft(mailbox: string, draftId: string, opts: { as: UserPrincipal }): Promise<void> {
    await this.c.call('mail.draft.delete', { as: opts.as }, (o) =>
      this.c.sdk.mail.v1.userMailboxDraft.delete({ path: { user_mailbox_id: mailbox, draft_id: draftId } }, o),
    );
  }

  /** Serialised per mailbox: Feishu locks sending per user and answers 1236006 to concurrent sends. */
  async sendDraft(
    mailbox: string,
    draftId: string,
    opts: { as: UserPrincipal },
  ): Promise<{ messageId: string; threadId?: string }> {
    const res = await this.c.call('mail.draft.send', { as: opts.as, serial: `mailbox:${mailbox}` }, (o) =>
      this.c.sdk.mail.v1.userMailboxDraft.send({ path: { user_mailbox_id: mailbox, draft_id: draftId }, data: {} }, o),
    );
    return {
      messageId: need(res.data?.message_id, 'mail.draft.send', 'data.message_id'),
      threadId: res.data?.thread_id,
    };
  }

  async sendMail(
    mailbox: string,
    body: SendMailInput,
    opts: { as: UserPrincipal },
  ): Promise<{ messageId: string; threadId?: string }> {
    const b = parse(sendMailSchema, body, 'mailbox.sendMail');
    const data = {
      ...b,
      raw: b.raw === undefined ? undefined : base64url(b.raw),
      dedupe_key: b.dedupe_key ?? retrySafeId(),
    };
    const res = await this.c.call('mail.message.send', { as: opts.as, serial: `mailbox:${mailbox}` }, (o) =>
      this.c.sdk.mail.v1.userMailboxMessage.send({ path: { user_mailbox_id: mailbox }, data }, o),
    );
    return {
      messageId: need(res.data?.message_id, 'mail.message.send', 'data.message_id'),
      threadId: res.data?.thread_id,
    };
  }
}
