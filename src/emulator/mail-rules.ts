/**
 * Request schemas and pure validation rules of the mail endpoints. Routes turn a `RuleError` into the
 * endpoint's documented code; the message says which field is wrong and how to fix it.
 */
import { z } from 'zod';
import { MEMBER_TYPES, WHO_CAN_SEND, type MailLimits } from './mail-state.js';
import type { EmlSummary, MailAddress } from './mime.js';

/** Length in characters (code points), as the docs count them. */
const chars = (s: string) => [...s].length;

function text(max: number, min = 0) {
  return z.string().refine((s) => chars(s) >= min && chars(s) <= max, {
    message: min > 0 ? `must be ${min}-${max} characters long` : `must be at most ${max} characters long`,
  });
}

/** "field: problem; field: problem" for a zod error, for the `msg` of a parameter error. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
}

const EMAIL = /^[^\s@<>()",;:]+@[^\s@<>()",;:]+\.[^\s@<>()",;:]+$/;
export const isEmail = (s: string) => EMAIL.test(s);
export const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

// ---- mail groups (Feishu "创建邮件组", "创建邮件组成员") ----

export const mailgroupCreateSchema = z.object({
  email: z.string().refine(isEmail, 'must be an address such as ops-team@<tenant mail domain>').optional(),
  name: z.string().optional(),
  description: z.string().optional(),
  who_can_send_mail: z.enum(WHO_CAN_SEND, { message: `must be one of ${WHO_CAN_SEND.join(', ')}` }).optional(),
});

const memberSchema = z
  .object({
    member_id: z.string().optional(),
    email: z.string().optional(),
    user_id: z.string().optional(),
    department_id: z.string().optional(),
    type: z.enum(MEMBER_TYPES, { message: `must be one of ${MEMBER_TYPES.join(', ')}` }),
  })
  .superRefine((m, ctx) => {
    const need = (field: 'email' | 'user_id' | 'department_id') => {
      if (!m[field]) ctx.addIssue({ code: 'custom', path: [field], message: `required for type ${m.type}` });
    };
    if (m.type === 'USER') need('user_id');
    else if (m.type === 'DEPARTMENT') need('department_id');
    else if (m.type !== 'COMPANY') need('email');
    if (m.email && !isEmail(m.email)) ctx.addIssue({ code: 'custom', path: ['email'], message: 'not a valid address' });
  });

export type MemberInput = z.infer<typeof memberSchema>;
export const memberCreateSchema = memberSchema;
export const memberBatchSchema = z.object({
  items: z.array(memberSchema).min(1, 'needs 1-200 members').max(200, 'needs 1-200 members (split larger lists)'),
});

// ---- mail contacts (Feishu "创建邮箱联系人": every length rule) ----

export const contactCreateSchema = z.object({
  name: text(64, 1),
  company: text(64).optional(),
  phone: text(40).optional(),
  mail_address: text(319).optional(),
  tag: text(64).optional(),
  remark: text(1000).optional(),
  position: text(64).optional(),
});

// ---- send mail (Feishu "发送邮件") ----

const mailAddressSchema = z.object({
  mail_address: z.string().refine(isEmail, 'must be a valid address'),
  name: z.string().optional(),
});

export const sendSchema = z.object({
  subject: z.string().optional(),
  to: z.array(mailAddressSchema).optional(),
  cc: z.array(mailAddressSchema).optional(),
  bcc: z.array(mailAddressSchema).optional(),
  raw: z.string().min(1, 'must not be empty: omit it or put a base64url EML in it').optional(),
  body_html: z.string().optional(),
  body_plain_text: z.string().optional(),
  attachments: z
    .array(
      z.object({
        body: z.string().max(51_729_750, 'over 37 MB'),
        filename: z.string().min(1, 'required'),
        is_inline: z.boolean().optional(),
        cid: z.string().optional(),
      }),
    )
    .optional(),
  dedupe_key: z.string().optional(),
  head_from: z.object({ name: z.string().optional() }).optional(),
});
export type SendInput = z.infer<typeof sendSchema>;

// ---- drafts (Feishu "创建草稿") ----

export const draftBodySchema = z.object({
  raw: z.string({ message: 'required: a base64url-encoded EML' }).min(1, 'must not be empty'),
});
export const draftFormatSchema = z
  .enum(['metadata', 'raw', 'full'], { message: 'must be metadata, raw or full' })
  .default('metadata');
export const draftSendSchema = z.object({
  send_time: z
    .string()
    .regex(/^\d{10}$/, 'must be a Unix time in seconds, e.g. "1767225600"')
    .optional(),
});

// ---- paging ----

/** Opaque page tokens: the offset, base64url-encoded. */
export function paginate<T>(
  items: T[],
  pageSize: number,
  pageToken: string | undefined,
): { page: T[]; has_more: boolean; page_token: string } {
  let offset = 0;
  if (pageToken) {
    const n = Number(Buffer.from(pageToken, 'base64url').toString());
    if (!Number.isInteger(n) || n < 0)
      throw new RuleError('page_token is invalid: pass the page_token of the previous page');
    offset = n;
  }
  const end = offset + pageSize;
  const has_more = end < items.length;
  return {
    page: items.slice(offset, end),
    has_more,
    page_token: has_more ? Buffer.from(String(end)).toString('base64url') : '',
  };
}

export function pageSizeSchema(defaultSize: number, max: number) {
  return z.coerce.number().int().min(1).max(max, `must be 1-${max}`).default(defaultSize);
}

// ---- send checks on a parsed message ----

export class RuleError extends Error {
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
  }
}

export const recipientsOf = (s: Pick<EmlSummary, 'to' | 'cc' | 'bcc'>): MailAddress[] => [...s.to, ...s.cc, ...s.bcc];

/** Recipient and attachment counts (1236003, 1236004) and the need for at least one recipient (1234008). */
export function checkCounts(summary: EmlSummary, limits: Pick<MailLimits, 'maxRecipients' | 'maxAttachments'>): void {
  const recipients = recipientsOf(summary).length;
  if (recipients === 0)
    throw new RuleError('the mail has no recipient: add one in to, cc or bcc (or To/Cc/Bcc in the EML)', 1234008);
  if (recipients > limits.maxRecipients) {
    throw new RuleError(
      `${recipients} recipients: at most ${limits.maxRecipients} are allowed (to + cc + bcc)`,
      1236003,
    );
  }
  if (summary.attachments.length > limits.maxAttachments) {
    throw new RuleError(
      `${summary.attachments.length} attachments: at most ${limits.maxAttachments} are allowed`,
      1236004,
    );
  }
}

/** What the tenant's directory knows about an address in its own mail domain. */
export interface Directory {
  mailDomain: string;
  /** True for an active user mailbox or a mail group of the tenant. */
  deliverable(address: string): boolean;
}

/**
 * Sender check (1236017): an EML From must be the sending mailbox. Receiver check (1236018): every recipient
 * must be a valid address, and one in the tenant's own domain must exist and be active.
 */
export function checkParties(summary: EmlSummary, mailbox: string, dir: Directory): void {
  if (summary.from && summary.from.mail_address.toLowerCase() !== mailbox) {
    throw new RuleError(
      `From ${summary.from.mail_address} is not the sending mailbox ${mailbox}: send from your own address`,
      1236017,
    );
  }
  for (const r of recipientsOf(summary)) {
    const address = r.mail_address.toLowerCase();
    if (!isEmail(address))
      throw new RuleError(`recipient ${JSON.stringify(r.mail_address)} is not a valid address`, 1236018);
    if (domainOf(address) === dir.mailDomain && !dir.deliverable(address)) {
      throw new RuleError(`recipient ${address} does not exist or is not active in ${dir.mailDomain}`, 1236018);
    }
  }
}

export const externalCount = (summary: EmlSummary, mailDomain: string) =>
  recipientsOf(summary).filter((r) => domainOf(r.mail_address) !== mailDomain).length;
