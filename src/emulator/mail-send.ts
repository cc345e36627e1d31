/**
 * messages/send (Feishu "发送邮件") and drafts ("创建草稿", "发送草稿"; update, get, list and delete as the SDK
 * types them). Both sends lock per mailbox through the kit's `serial` (concurrent → 1236006) and share `deliver`,
 * which applies the send checks and quotas in the order the send pages list them, then records the mail as sent.
 */
import { randomUUID } from 'node:crypto';
import nodemailer from 'nodemailer';
import { z } from 'zod';
import type { DocPage } from './codes.js';
import type { Caller, Kit, RouteBuilder } from './kit.js';
import { fail, mailboxKey, parseWith, requireMailbox, rule } from './mail-http.js';
import {
  checkCounts,
  checkParties,
  draftBodySchema,
  draftFormatSchema,
  draftSendSchema,
  externalCount,
  pageSizeSchema,
  paginate,
  sendSchema,
  type SendInput,
} from './mail-rules.js';
import type { Draft, MailState } from './mail-state.js';
import { decodeBase64Url, EmlError, encodeBase64Url, parseEml, type EmlSummary } from './mime.js';

const BOX = '/open-apis/mail/v1/user_mailboxes/:user_mailbox_id';
const SEND_PAGE = 'mail-message-send' as const;
const DRAFT_PAGE = 'mail-draft-send' as const;
/** Scopes the pages name: sending (both send pages) and drafts ("创建草稿"). */
const SEND_SCOPES = ['mail:user_mailbox.message:send'];
const DRAFT_SCOPES = ['mail:user_mailbox.message:modify'];
const BOX_CODES = { me_needs_user: 1234008, not_found: 1234013, inactive: 1234013, forbidden: 1234017 };

/** Builds the EML for a send given as structured fields. */
async function compose(input: SendInput, from: { name: string; address: string }): Promise<Buffer> {
  const list = (a: SendInput['to']) => (a ?? []).map((x) => ({ name: x.name ?? '', address: x.mail_address }));
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true });
  const info = await transport.sendMail({
    from,
    to: list(input.to),
    cc: list(input.cc),
    bcc: list(input.bcc),
    subject: input.subject ?? '',
    text: input.body_plain_text,
    html: input.body_html,
    attachments: (input.attachments ?? []).map((a) => ({
      filename: a.filename,
      content: decodeBase64Url(a.body),
      ...(a.is_inline && a.cid ? { cid: a.cid, contentDisposition: 'inline' as const } : {}),
    })),
  });
  return info.message as Buffer;
}

export function sendRoutes(kit: Kit, r: RouteBuilder, mail: MailState): void {
  const { state } = kit;
  const domain = state.app.mailDomain;
  const directory = {
    mailDomain: domain,
    deliverable: (address: string) => {
      const user = state.userByMailbox(address);
      return (user !== undefined && !user.resigned) || mail.mailgroup(address) !== undefined;
    },
  };
  const mailbox = (caller: Caller, id: string | undefined, page: DocPage) =>
    requireMailbox(kit, caller, id ?? '', page, BOX_CODES);

  /** Decodes, size-checks and parses a base64url EML (1236002 / 1236001 on `page`). */
  const readEml = async (raw: string, page: DocPage): Promise<{ bytes: Buffer; summary: EmlSummary }> => {
    try {
      const bytes = decodeBase64Url(raw);
      checkSize(bytes, page);
      return { bytes, summary: await parseEml(bytes) };
    } catch (e) {
      if (e instanceof EmlError) throw fail(kit, 1236002, page, e.message);
      throw e;
    }
  };
  const checkSize = (bytes: Buffer, page: DocPage) => {
    if (bytes.length > mail.limits.maxRawBytes) {
      throw fail(
        kit,
        1236001,
        page,
        `the message is ${bytes.length} bytes, over the limit of ${mail.limits.maxRawBytes}`,
      );
    }
  };

  const deliver = (
    page: DocPage,
    address: string,
    eml: { bytes: Buffer; summary: EmlSummary },
    extra: { draftId?: string; dedupeKey?: string; scheduledAt?: number },
  ) => {
    const { summary } = eml;
    const limits = mail.limits;
    rule(kit, page, 1234008, () => checkCounts(summary, limits));
    rule(kit, page, 1234008, () => checkParties(summary, address, directory));
    const smtpMessageId = summary.messageId ?? `<${randomUUID()}@${domain}>`;
    if (mail.hasSentMessageId(address, smtpMessageId))
      throw fail(kit, 1236005, page, `Message-ID ${smtpMessageId} was already sent from ${address}`);
    if (
      extra.dedupeKey !== undefined &&
      mail.sent.some((m) => m.mailbox === address && m.dedupeKey === extra.dedupeKey)
    ) {
      throw fail(kit, 1236005, page, `dedupe_key ${extra.dedupeKey} was already sent from ${address}`);
    }
    if (mail.sentInLastMinute(address) >= limits.sendsPerMinutePerUser) {
      throw fail(
        kit,
        1236010,
        page,
        `${address} sent ${limits.sendsPerMinutePerUser} mails in the last minute: wait and retry`,
      );
    }
    const mineToday = mail.sentToday(address);
    if (mineToday.length >= limits.dailySendsPerUser)
      throw fail(kit, 1236007, page, `${address} reached ${limits.dailySendsPerUser} mails today`);
    const external = externalCount(summary, domain);
    const sum = (list: { externalRecipients: number }[]) => list.reduce((n, m) => n + m.externalRecipients, 0);
    if (external > 0 && sum(mineToday) + external > limits.dailyExternalRecipientsPerUser) {
      throw fail(
        kit,
        1236008,
        page,
        `${address} would exceed ${limits.dailyExternalRecipientsPerUser} external recipients today`,
      );
    }
    if (external > 0 && sum(mail.sentToday()) + external > limits.dailyExternalRecipientsPerTenant) {
      throw fail(
        kit,
        1236009,
        page,
        `the tenant would exceed ${limits.dailyExternalRecipientsPerTenant} external recipients today`,
      );
    }
    // A draft's bytes are already stored; sending it only moves them.
    const added = extra.draftId ? 0 : eml.bytes.length;
    if (mail.storageUsed() + added > limits.tenantStorageBytes) {
      throw fail(kit, 1236013, page, `the tenant's ${limits.tenantStorageBytes} bytes of mail storage are full`);
    }
    const raw = summary.messageId
      ? eml.bytes
      : Buffer.concat([Buffer.from(`Message-ID: ${smtpMessageId}\r\n`), eml.bytes]);
    const sent = mail.recordSent({
      mailbox: address,
      smtpMessageId,
      summary: { ...summary, messageId: smtpMessageId },
      raw,
      externalRecipients: external,
      ...extra,
    });
    return { message_id: sent.message_id, thread_id: sent.thread_id };
  };

  r.add({
    method: 'post',
    path: `${BOX}/messages/send`,
    token: 'user',
    userScopes: SEND_SCOPES,
    limits: { perMinute: 100 },
    serial: { key: (ctx) => mailboxKey(ctx.caller, ctx.params.user_mailbox_id ?? ''), code: 1236006, page: SEND_PAGE },
    handler: async (ctx) => {
      const { address, user } = mailbox(ctx.caller, ctx.params.user_mailbox_id, SEND_PAGE);
      const input = parseWith(kit, sendSchema, ctx.req.body, 1234008, SEND_PAGE);
      let eml;
      if (input.raw !== undefined) {
        // The doc's example sends raw together with structured fields: the EML is the message then.
        eml = await readEml(input.raw, SEND_PAGE);
      } else {
        const recipients = (input.to?.length ?? 0) + (input.cc?.length ?? 0) + (input.bcc?.length ?? 0);
        if (recipients > mail.limits.maxRecipients)
          throw fail(kit, 1236003, SEND_PAGE, `${recipients} recipients: at most ${mail.limits.maxRecipients}`);
        const attachments = input.attachments?.length ?? 0;
        if (attachments > mail.limits.maxAttachments)
          throw fail(kit, 1236004, SEND_PAGE, `${attachments} attachments: at most ${mail.limits.maxAttachments}`);
        const bytes = await compose(input, { name: input.head_from?.name ?? user.name, address }).catch(
          (e: unknown) => {
            if (e instanceof EmlError) throw fail(kit, 1234008, SEND_PAGE, `attachments: ${e.message}`);
            throw e;
          },
        );
        checkSize(bytes, SEND_PAGE);
        eml = { bytes, summary: await parseEml(bytes) };
      }
      return deliver(SEND_PAGE, address, eml, input.dedupe_key === undefined ? {} : { dedupeKey: input.dedupe_key });
    },
  });

  // ---- drafts ----

  const draftOf = (address: string, id: string, page: DocPage): Draft => {
    const draft = mail.drafts.get(id);
    if (!draft || draft.mailbox !== address)
      throw fail(kit, 1234050, page, `no draft ${id} in ${address}: create it first or list the drafts`);
    return draft;
  };

  const draftView = (d: Draft, format: 'metadata' | 'raw' | 'full') => {
    const s = d.summary;
    const message = {
      subject: s.subject,
      to: s.to,
      cc: s.cc,
      bcc: s.bcc,
      head_from: s.from ?? { mail_address: d.mailbox, name: '' },
      body_preview: s.text.replace(/\s+/g, ' ').trim().slice(0, 100),
      internal_date: String(d.updatedAt),
      message_state: 3,
      smtp_message_id: s.messageId ?? '',
      message_id: d.id,
      thread_id: '',
      folder_id: 'DRAFT',
      attachments: s.attachments.map((a, i) => ({
        id: `${d.id}-${i}`,
        filename: a.filename,
        is_inline: a.isInline,
        cid: a.contentId ?? '',
        attachment_type: 1,
      })),
      // The Feishu message resource carries bodies base64url-encoded (Feishu "获取邮件详情": 正文(base64url)).
      ...(format === 'full' ? { body_html: encodeBase64Url(s.html), body_plain_text: encodeBase64Url(s.text) } : {}),
      ...(format === 'raw' ? { raw: encodeBase64Url(d.raw) } : {}),
    };
    return { draft: { id: d.id, message } };
  };

  // Rate limits for draft update/get/list/delete are undocumented: 50/s like the other mail reads.
  const draftLimits = { perSecond: 50 };
  const draftWrite = async (address: string, raw: string, existing?: Draft) => {
    const eml = await readEml(raw, SEND_PAGE);
    const now = kit.clock.now();
    const draft: Draft = existing
      ? Object.assign(existing, { raw: eml.bytes, summary: eml.summary, updatedAt: now })
      : { id: randomUUID(), mailbox: address, raw: eml.bytes, summary: eml.summary, createdAt: now, updatedAt: now };
    mail.drafts.set(draft.id, draft);
    return draftView(draft, 'metadata');
  };

  r.add({
    method: 'post',
    path: `${BOX}/drafts`,
    token: 'user',
    userScopes: DRAFT_SCOPES,
    limits: { perSecond: 5 },
    handler: async (ctx) => {
      const { address } = mailbox(ctx.caller, ctx.params.user_mailbox_id, SEND_PAGE);
      const { raw } = parseWith(kit, draftBodySchema, ctx.req.body, 1234008, SEND_PAGE);
      return draftWrite(address, raw);
    },
  });

  r.add({
    method: 'put',
    path: `${BOX}/drafts/:draft_id`,
    token: 'user',
    userScopes: DRAFT_SCOPES,
    limits: draftLimits,
    handler: async (ctx) => {
      const { address } = mailbox(ctx.caller, ctx.params.user_mailbox_id, SEND_PAGE);
      const draft = draftOf(address, ctx.params.draft_id ?? '', DRAFT_PAGE);
      const { raw } = parseWith(kit, draftBodySchema, ctx.req.body, 1234008, SEND_PAGE);
      return draftWrite(address, raw, draft);
    },
  });

  r.add({
    method: 'get',
    path: `${BOX}/drafts/:draft_id`,
    token: 'user',
    userScopes: DRAFT_SCOPES,
    limits: draftLimits,
    handler: (ctx) => {
      const { address } = mailbox(ctx.caller, ctx.params.user_mailbox_id, SEND_PAGE);
      const { format } = parseWith(kit, z.object({ format: draftFormatSchema }), ctx.req.query, 1234008, SEND_PAGE);
      return draftView(draftOf(address, ctx.params.draft_id ?? '', DRAFT_PAGE), format);
    },
  });

  r.add({
    method: 'get',
    path: `${BOX}/drafts`,
    token: 'user',
    userScopes: DRAFT_SCOPES,
    limits: draftLimits,
    handler: (ctx) => {
      const { address } = mailbox(ctx.caller, ctx.params.user_mailbox_id, SEND_PAGE);
      const q = parseWith(
        kit,
        z.object({ page_size: pageSizeSchema(20, 100), page_token: z.string().optional() }),
        ctx.req.query,
        1234008,
        SEND_PAGE,
      );
      const mine = [...mail.drafts.values()].filter((d) => d.mailbox === address);
      const { page, has_more, page_token } = rule(kit, SEND_PAGE, 1234008, () =>
        paginate(mine, q.page_size, q.page_token),
      );
      return { items: page.map((d) => ({ id: d.id })), page_token, has_more };
    },
  });

  r.add({
    method: 'delete',
    path: `${BOX}/drafts/:draft_id`,
    token: 'user',
    userScopes: DRAFT_SCOPES,
    limits: draftLimits,
    handler: (ctx) => {
      const { address } = mailbox(ctx.caller, ctx.params.user_mailbox_id, SEND_PAGE);
      mail.drafts.delete(draftOf(address, ctx.params.draft_id ?? '', DRAFT_PAGE).id);
      return {};
    },
  });

  r.add({
    method: 'post',
    path: `${BOX}/drafts/:draft_id/send`,
    token: 'user',
    userScopes: SEND_SCOPES,
    limits: { perMinute: 20 },
    serial: { key: (ctx) => mailboxKey(ctx.caller, ctx.params.user_mailbox_id ?? ''), code: 1236006, page: DRAFT_PAGE },
    handler: (ctx) => {
      const { address } = mailbox(ctx.caller, ctx.params.user_mailbox_id, DRAFT_PAGE);
      const input = parseWith(kit, draftSendSchema, ctx.req.body, 1234008, DRAFT_PAGE);
      const draftId = ctx.params.draft_id ?? '';
      const already = mail.sentFromDraft(draftId);
      if (already && already.mailbox === address)
        throw fail(kit, 1236005, DRAFT_PAGE, `draft ${draftId} was already sent as ${already.message_id}`);
      const scheduledAt = input.send_time === undefined ? undefined : Number(input.send_time) * 1000;
      if (scheduledAt !== undefined && scheduledAt < kit.clock.now()) {
        throw fail(kit, 1234008, DRAFT_PAGE, 'send_time is in the past: omit it to send now');
      }
      const draft = draftOf(address, draftId, DRAFT_PAGE);
      const sent = deliver(
        DRAFT_PAGE,
        address,
        { bytes: draft.raw, summary: draft.summary },
        { draftId, ...(scheduledAt ? { scheduledAt } : {}) },
      );
      return { ...sent, recall_status: 'available' };
    },
  });
}
