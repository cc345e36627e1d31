/**
 * The emulator's mail world: mail groups with members, mail contacts, drafts and sent mail, plus the tenant's
 * sending limits. Registered on EmulatorState as the `mail` section, so `POST /_emulator/reset` clears it and
 * `GET /_emulator/state` shows it (sent mail with its parsed summary and raw EML).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { encodeBase64Url, type EmlSummary } from './mime.js';
import { STANDING } from './seed.js';
import { randomId, type StateSection } from './state.js';

const count = z.number().int().min(0);

export const mailLimitsSchema = z
  .object({
    maxMailgroups: count,
    maxMembersPerMailgroup: count,
    maxRawBytes: z.number().int().positive(),
    maxRecipients: z.number().int().positive(),
    maxAttachments: z.number().int().positive(),
    dailySendsPerUser: count,
    dailyExternalRecipientsPerUser: count,
    dailyExternalRecipientsPerTenant: count,
    sendsPerMinutePerUser: count,
    tenantStorageBytes: count,
  })
  .strict();

export type MailLimits = z.infer<typeof mailLimitsSchema>;

/**
 * Limits the mail pages name without a number (quotas, storage, group count) get generous defaults here and
 * can be lowered at run time (`POST /_emulator/mail/limits`) so tests reach them cheaply.
 */
export const DEFAULT_MAIL_LIMITS: Readonly<MailLimits> = {
  /** Feishu "创建邮件组": 1234030. */
  maxMailgroups: 1000,
  /** "创建邮件组成员": 1234030 for members. */
  maxMembersPerMailgroup: 10_000,
  /** Decoded EML size ("创建草稿": 37.5 MB) → 1236001. */
  maxRawBytes: 37.5 * 1024 * 1024,
  /** "发送邮件": 500 each → 1236003 / 1236004. */
  maxRecipients: 500,
  maxAttachments: 500,
  /** Per user per day → 1236007. */
  dailySendsPerUser: 10_000,
  /** External recipients per user per day → 1236008, per tenant per day → 1236009. */
  dailyExternalRecipientsPerUser: 5_000,
  dailyExternalRecipientsPerTenant: 100_000,
  /** The per-user sending throttle ("用户的发信请求被系统限流") → 1236010. */
  sendsPerMinutePerUser: 60,
  /** Bytes of drafts and sent mail the tenant may store → 1236013. */
  tenantStorageBytes: 10 * 1024 ** 3,
};

export const MEMBER_TYPES = [
  'USER',
  'DEPARTMENT',
  'COMPANY',
  'EXTERNAL_USER',
  'MAIL_GROUP',
  'PUBLIC_MAILBOX',
  'OTHER_MEMBER',
] as const;
export type MemberType = (typeof MEMBER_TYPES)[number];

export const WHO_CAN_SEND = ['ANYONE', 'ALL_INTERNAL_USERS', 'ALL_GROUP_MEMBERS', 'CUSTOM_MEMBERS'] as const;

export interface MailgroupMember {
  member_id: string;
  type: MemberType;
  email?: string;
  /** Always the open_id; responses convert it to the requested user_id_type. */
  openId?: string;
  department_id?: string;
}

export interface Mailgroup {
  mailgroup_id: string;
  email: string;
  name: string;
  description: string;
  who_can_send_mail: (typeof WHO_CAN_SEND)[number];
  members: Map<string, MailgroupMember>;
  createdAt: number;
}

export interface MailContact {
  id: string;
  name: string;
  company?: string;
  phone?: string;
  mail_address?: string;
  tag?: string;
  remark?: string;
  position?: string;
}

export interface Draft {
  id: string;
  /** Owner mailbox address (lower case). */
  mailbox: string;
  raw: Buffer;
  summary: EmlSummary;
  createdAt: number;
  updatedAt: number;
}

export interface SentMail {
  message_id: string;
  thread_id: string;
  mailbox: string;
  /** The Message-ID header sent (generated when the EML had none). */
  smtpMessageId: string;
  summary: EmlSummary;
  raw: Buffer;
  draftId?: string;
  dedupeKey?: string;
  /** A draft sent with a future send_time: recorded at once, due then. */
  scheduledAt?: number;
  externalRecipients: number;
  sentAt: number;
}

/** What the delete APIs took away, kept for the console's objects panel (no API serves them). */
export type RemovedMailObject = { at: number } & (
  | { kind: 'mailgroup'; mailgroup_id: string; email: string; name: string }
  | { kind: 'member'; mailgroup: string; member: MailgroupMember }
  | { kind: 'contact'; mailbox: string; contact: MailContact }
);

const DAY_MS = 86_400_000;
/** Quotas reset at midnight China time (UTC+8), where the tenant lives. */
const dayOf = (ms: number) => Math.floor((ms + 8 * 3_600_000) / DAY_MS);

export class MailState implements StateSection {
  limits: MailLimits = { ...DEFAULT_MAIL_LIMITS };
  readonly mailgroups = new Map<string, Mailgroup>();
  /** Contacts by owner mailbox address (lower case). */
  readonly contacts = new Map<string, MailContact[]>();
  readonly drafts = new Map<string, Draft>();
  readonly sent: SentMail[] = [];
  readonly removed: RemovedMailObject[] = [];
  private nextContactId = 7_256_274_576_546_463_000n;

  /** `standing`: seed the demo's all-staff mail group (seed.ts STANDING), again after every reset. */
  constructor(
    private readonly now: () => number,
    private readonly standing = false,
  ) {
    this.seedStanding();
  }

  private seedStanding(): void {
    if (!this.standing) return;
    const g = STANDING.allStaff;
    this.mailgroups.set(g.mailgroupId, {
      mailgroup_id: g.mailgroupId,
      email: g.email,
      name: g.name,
      description: '',
      who_can_send_mail: 'ALL_INTERNAL_USERS',
      members: new Map(),
      createdAt: this.now(),
    });
  }

  setLimits(patch: unknown): MailLimits {
    this.limits = { ...this.limits, ...mailLimitsSchema.partial().parse(patch) };
    return this.limits;
  }

  mailgroup(idOrEmail: string): Mailgroup | undefined {
    const key = idOrEmail.toLowerCase();
    return this.mailgroups.get(idOrEmail) ?? [...this.mailgroups.values()].find((g) => g.email === key);
  }

  addMailgroup(input: Omit<Mailgroup, 'mailgroup_id' | 'members' | 'createdAt'>): Mailgroup {
    const group: Mailgroup = { ...input, mailgroup_id: randomId(''), members: new Map(), createdAt: this.now() };
    this.mailgroups.set(group.mailgroup_id, group);
    return group;
  }

  addContact(mailbox: string, input: Omit<MailContact, 'id'>): MailContact {
    const contact = { id: String(this.nextContactId++), ...input };
    this.contacts.set(mailbox, [...(this.contacts.get(mailbox) ?? []), contact]);
    return contact;
  }

  deleteMailgroup(group: Mailgroup): void {
    this.mailgroups.delete(group.mailgroup_id);
    const { mailgroup_id, email, name } = group;
    this.removed.push({ kind: 'mailgroup', at: this.now(), mailgroup_id, email, name });
  }

  removeMembers(group: Mailgroup, memberIds: string[]): void {
    for (const id of memberIds) {
      const member = group.members.get(id);
      if (!member) continue;
      group.members.delete(id);
      this.removed.push({ kind: 'member', at: this.now(), mailgroup: group.email, member });
    }
  }

  /** False when the mailbox has no contact with this id. */
  deleteContact(mailbox: string, id: string): boolean {
    const list = this.contacts.get(mailbox) ?? [];
    const contact = list.find((c) => c.id === id);
    if (!contact) return false;
    this.contacts.set(
      mailbox,
      list.filter((c) => c !== contact),
    );
    this.removed.push({ kind: 'contact', at: this.now(), mailbox, contact });
    return true;
  }

  hasSentMessageId(mailbox: string, smtpMessageId: string): boolean {
    return this.sent.some((m) => m.mailbox === mailbox && m.smtpMessageId === smtpMessageId);
  }

  sentFromDraft(draftId: string): SentMail | undefined {
    return this.sent.find((m) => m.draftId === draftId);
  }

  /** Today's sends (China day) for one mailbox, or for the whole tenant. */
  sentToday(mailbox?: string): SentMail[] {
    const today = dayOf(this.now());
    return this.sent.filter((m) => dayOf(m.sentAt) === today && (mailbox === undefined || m.mailbox === mailbox));
  }

  sentInLastMinute(mailbox: string): number {
    const since = this.now() - 60_000;
    return this.sent.filter((m) => m.mailbox === mailbox && m.sentAt > since).length;
  }

  storageUsed(): number {
    let bytes = 0;
    for (const d of this.drafts.values()) bytes += d.raw.length;
    for (const m of this.sent) bytes += m.raw.length;
    return bytes;
  }

  recordSent(mail: Omit<SentMail, 'message_id' | 'thread_id' | 'sentAt'>): SentMail {
    const sent: SentMail = { ...mail, message_id: randomUUID(), thread_id: randomUUID(), sentAt: this.now() };
    this.sent.push(sent);
    if (mail.draftId) this.drafts.delete(mail.draftId);
    return sent;
  }

  reset(): void {
    this.limits = { ...DEFAULT_MAIL_LIMITS };
    this.mailgroups.clear();
    this.contacts.clear();
    this.drafts.clear();
    this.sent.length = 0;
    this.removed.length = 0;
    this.seedStanding();
  }

  snapshot(): unknown {
    return {
      limits: this.limits,
      mailgroups: [...this.mailgroups.values()].map((g) => ({ ...g, members: [...g.members.values()] })),
      contacts: Object.fromEntries(this.contacts),
      drafts: [...this.drafts.values()].map(({ raw, ...d }) => ({ ...d, raw: encodeBase64Url(raw) })),
      sent: this.sent.map(({ raw, ...m }) => ({ ...m, raw: encodeBase64Url(raw) })),
      removed: this.removed,
    };
  }
}
