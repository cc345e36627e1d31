/**
 * Builds the EML that drafts and /mail send hand to Feishu (pages "创建草稿", "发送邮件"): nodemailer's
 * MailComposer for MIME (UTF-8 subject and display names, Message-ID, Bcc kept so the draft knows its blind
 * recipients), Markdown → HTML with the Markdown source as the plain-text alternative, base64url out.
 * Everything Feishu would refuse for a reason we can see beforehand is reported first, in every language.
 */
import { randomUUID } from 'node:crypto';
import type MailComposer from 'nodemailer/lib/mail-composer';
import { z } from 'zod';
import { t, type Text } from '../i18n.js';
import { deriveKey } from '../keys.js';

/** Feishu "发送邮件": 500 recipients (1236003); "创建草稿": 37.5 MB decoded EML (1236001). */
export const MAIL_LIMITS = { maxRecipients: 500, maxRawBytes: 37.5 * 1024 * 1024 } as const;
export type MailLimits = { maxRecipients: number; maxRawBytes: number };

// Pragmatic RFC 5321 shape: dot-atom local part, dotted ASCII domain with a 2+ letter top level.
const ADDRESS =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}$/;

export function isMailAddress(s: string): boolean {
  return s.length <= 254 && s.indexOf('@') <= 64 && ADDRESS.test(s);
}

export const mailboxSchema = z.object({
  address: z.string().trim(),
  /** Display name, any script (encoded as UTF-8 by the composer). */
  name: z.string().trim().optional(),
});
export type Mailbox = z.infer<typeof mailboxSchema>;

export const composeRequestSchema = z.object({
  /** The signed-in user's own mailbox: Feishu refuses any other sender (1236017). */
  from: mailboxSchema,
  to: z.array(mailboxSchema).default([]),
  cc: z.array(mailboxSchema).default([]),
  bcc: z.array(mailboxSchema).default([]),
  subject: z.string(),
  /** Markdown. */
  body: z.string(),
});
export type ComposeRequest = z.input<typeof composeRequestSchema>;

export type MailField = 'from' | 'to' | 'cc' | 'bcc' | 'recipients' | 'subject' | 'body' | 'size';

/** What the check says, in every language, and which field it is about. */
export interface MailProblem extends Text {
  field: MailField;
  /** The Feishu code this check anticipates, when there is one. */
  code?: number;
}

const hasControl = (s: string) => [...s].some((c) => c.charCodeAt(0) < 0x20 || c === '\u007f');

/** The checks that need no MIME: syntax, counts, empties. */
export function checkCompose(input: ComposeRequest, limits: MailLimits = MAIL_LIMITS): MailProblem[] {
  const req = composeRequestSchema.parse(input);
  const problems: MailProblem[] = [];
  if (!isMailAddress(req.from.address)) {
    problems.push({ field: 'from', ...t('mail.problem.badSender', { address: req.from.address }) });
  }
  const seen = new Set<string>();
  for (const field of ['to', 'cc', 'bcc'] as const) {
    for (const m of req[field]) {
      if (!isMailAddress(m.address)) {
        problems.push({ field, ...t('mail.problem.badAddress', { field, address: m.address }) });
        continue;
      }
      const key = m.address.toLowerCase();
      if (seen.has(key)) problems.push({ field, ...t('mail.problem.duplicate', { address: m.address }) });
      seen.add(key);
    }
    if (req[field].some((m) => m.name !== undefined && hasControl(m.name))) {
      problems.push({ field, ...t('mail.problem.controlInName', { field }) });
    }
  }
  const recipients = req.to.length + req.cc.length + req.bcc.length;
  if (recipients === 0) {
    problems.push({ field: 'recipients', ...t('mail.problem.noRecipients') });
  }
  if (recipients > limits.maxRecipients) {
    problems.push({
      field: 'recipients',
      code: 1236003,
      ...t('mail.problem.tooManyRecipients', { recipients, max: limits.maxRecipients }),
    });
  }
  if (!req.subject.trim()) problems.push({ field: 'subject', ...t('mail.problem.emptySubject') });
  else if (hasControl(req.subject)) problems.push({ field: 'subject', ...t('mail.problem.multilineSubject') });
  if (!req.body.trim()) problems.push({ field: 'body', ...t('mail.problem.emptyBody') });
  return problems;
}

interface Toolkit {
  markdown: { render(markdown: string): string };
  MailComposer: typeof MailComposer;
}
let toolkit: Promise<Toolkit> | undefined;
/** markdown-it and nodemailer load with the first mail composed, not at start: most deliveries never compose one. */
const mailToolkit = (): Promise<Toolkit> =>
  (toolkit ??= Promise.all([import('markdown-it'), import('nodemailer/lib/mail-composer')]).then(([md, mc]) => ({
    // Raw HTML in the body is shown as text, never passed through; links are made clickable; chat line breaks stay.
    markdown: new md.default({ html: false, linkify: true, breaks: true }),
    MailComposer: mc.default,
  })));

export interface ComposedMail {
  /** base64url (no padding), ready for `raw`. */
  raw: string;
  /** Decoded EML size in bytes (what 1236001 measures). */
  size: number;
  /** With angle brackets, as in the header. */
  messageId: string;
  html: string;
  text: string;
}

export type ComposeResult = { ok: true; mail: ComposedMail } | { ok: false; problems: MailProblem[] };

export interface ComposeOptions {
  limits?: MailLimits;
  now?: () => number;
  /**
   * Makes the Message-ID a function of this seed (e.g. the triggering event id), so a redelivered command builds
   * the same Message-ID and Feishu answers 1236005 instead of sending twice.
   */
  messageIdSeed?: string;
}

export function messageIdFor(from: string, seed?: string): string {
  const local = seed === undefined ? randomUUID() : deriveKey(seed);
  return `<${local}@${from.slice(from.lastIndexOf('@') + 1).toLowerCase()}>`;
}

export async function composeMail(input: ComposeRequest, o: ComposeOptions = {}): Promise<ComposeResult> {
  const limits = o.limits ?? MAIL_LIMITS;
  const problems = checkCompose(input, limits);
  if (problems.length) return { ok: false, problems };
  const req = composeRequestSchema.parse(input);
  // Objects, never "Name <address>" strings: the composer then quotes each name, so a name (a directory name may
  // read `Eve <eve@evil.example>, Bob`) stays a name and never becomes a recipient.
  const list = (l: Mailbox[]) => l.map((m) => ({ address: m.address, name: m.name ?? '' }));
  const messageId = messageIdFor(req.from.address, o.messageIdSeed);
  const { markdown, MailComposer } = await mailToolkit();
  const html = `<!doctype html><html><head><meta charset="utf-8"></head><body>${markdown.render(req.body)}</body></html>`;
  const node = new MailComposer({
    from: { address: req.from.address, name: req.from.name ?? '' },
    to: list(req.to),
    cc: list(req.cc),
    bcc: list(req.bcc),
    subject: req.subject.trim(),
    text: req.body,
    html,
    messageId,
    date: new Date((o.now ?? Date.now)()),
  }).compile();
  // MailComposer drops Bcc like an SMTP client would; a draft must keep it to know its blind recipients.
  node.keepBcc = true;
  const eml = await node.build();
  if (eml.length > limits.maxRawBytes) {
    const mb = (n: number) => (n / 1024 / 1024).toFixed(1);
    return {
      ok: false,
      problems: [
        {
          field: 'size',
          code: 1236001,
          ...t('mail.problem.tooBig', { size: mb(eml.length), max: mb(limits.maxRawBytes) }),
        },
      ],
    };
  }
  return { ok: true, mail: { raw: eml.toString('base64url'), size: eml.length, messageId, html, text: req.body } };
}
