/**
 * Raw EML handling for the emulated mail API: base64url decoding and MIME validation.
 *
 * Decoding accepts base64url with or without padding, and standard base64 with or without padding, as the
 * official CLI does (larksuite/cli's draft parser decodes URL/RawURL/Std/RawStd); CR/LF inside the text are ignored.
 * One string must stick to one alphabet: mixing `-_` with `+/` is refused, like Go's decoders do.
 *
 * "Valid MIME" here means, in order:
 *  1. the text decodes (rule above) to a non-empty byte string;
 *  2. it starts with a header block: every line up to the first empty line is an RFC 5322 header field
 *     (`Name: value`, printable ASCII name without colon) or a folded continuation (starts with space/tab);
 *  3. the header block has a From or a To header;
 *  4. a multipart Content-Type names a boundary and the body contains that boundary's delimiter line;
 *  5. postal-mime parses the whole message without throwing.
 * Anything else is an `EmlError` whose message says which rule failed and how to fix it.
 */
import PostalMime, { type Address, type Mailbox } from 'postal-mime';

export class EmlError extends Error {}

const URL_ONLY = /[-_]/;
const STD_ONLY = /[+/]/;
const BASE64_TEXT = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** Decodes base64url (padded or not) or standard base64 (padded or not) to bytes. */
export function decodeBase64Url(text: string): Buffer {
  const compact = text.replace(/[\r\n]/g, '');
  if (!BASE64_TEXT.test(compact)) {
    throw new EmlError('raw is not base64url: use only A-Z a-z 0-9 - _ (optionally = padding at the end)');
  }
  if (URL_ONLY.test(compact) && STD_ONLY.test(compact)) {
    throw new EmlError(
      'raw mixes the base64url alphabet (-_) with standard base64 (+/): encode it with base64url only',
    );
  }
  const body = compact.replace(/=+$/, '');
  const padded = body.length !== compact.length;
  if (body.length % 4 === 1 || (padded && compact.length % 4 !== 0)) {
    throw new EmlError('raw has a truncated base64url length: check that the whole message was encoded');
  }
  return Buffer.from(body.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/** base64url without padding, the form the API returns in `message.raw`. */
export function encodeBase64Url(bytes: Buffer | string): string {
  return Buffer.from(bytes).toString('base64url');
}

export interface MailAddress {
  mail_address: string;
  name: string;
}

/** What the emulator keeps about an EML: enough for responses, limits and the sandbox console. */
export interface EmlSummary {
  messageId: string | undefined;
  subject: string;
  from: MailAddress | undefined;
  to: MailAddress[];
  cc: MailAddress[];
  bcc: MailAddress[];
  attachments: { filename: string; mimeType: string; isInline: boolean; contentId: string | undefined; size: number }[];
  text: string;
  html: string;
  /** Decoded size in bytes. */
  size: number;
}

const HEADER_FIELD = /^[\x21-\x39\x3b-\x7e]+:/;

function headerBlock(eml: string): string[] {
  const lines = eml.split(/\r?\n/);
  const end = lines.findIndex((l) => l === '');
  return end === -1 ? lines : lines.slice(0, end);
}

/** Checks rules 2–4 on the decoded text; returns the unfolded headers by lower-case name. */
function checkStructure(eml: string): Map<string, string> {
  const lines = headerBlock(eml);
  if (lines.length === 0 || !HEADER_FIELD.test(lines[0] ?? '')) {
    throw new EmlError(
      'raw does not start with a header block: an EML begins with lines like "From: a@b.c", then an empty line, then the body',
    );
  }
  const headers = new Map<string, string>();
  let last = '';
  lines.forEach((line, i) => {
    if (/^[ \t]/.test(line)) {
      headers.set(last, `${headers.get(last) ?? ''} ${line.trim()}`);
      return;
    }
    if (!HEADER_FIELD.test(line)) {
      throw new EmlError(`raw header line ${i + 1} is not "Name: value": ${JSON.stringify(line.slice(0, 60))}`);
    }
    const colon = line.indexOf(':');
    last = line.slice(0, colon).toLowerCase();
    headers.set(last, line.slice(colon + 1).trim());
  });
  if (!headers.has('from') && !headers.has('to')) {
    throw new EmlError('raw has no From or To header: add at least one of them');
  }
  const contentType = headers.get('content-type') ?? '';
  if (/^\s*multipart\//i.test(contentType)) {
    const boundary = /boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
    const name = boundary?.[1] ?? boundary?.[2];
    if (name === undefined) throw new EmlError('raw is multipart but its Content-Type has no boundary parameter');
    if (!eml.split(/\r?\n/).some((l) => l.startsWith(`--${name}`))) {
      throw new EmlError(`raw is multipart but the body never contains the boundary line --${name}`);
    }
  }
  return headers;
}

function mailboxes(list: Address[] | Address | undefined): MailAddress[] {
  const all = list === undefined ? [] : Array.isArray(list) ? list : [list];
  return all
    .flatMap((a): Mailbox[] => (a.group ? a.group : [a]))
    .filter((m) => m.address !== '')
    .map((m) => ({ mail_address: m.address, name: m.name }));
}

function byteLength(content: ArrayBuffer | Uint8Array | string): number {
  return typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength;
}

/** Validates decoded EML bytes (rules 2–5) and summarises them. */
export async function parseEml(bytes: Buffer): Promise<EmlSummary> {
  if (bytes.length === 0) throw new EmlError('raw is empty: put a complete EML message in it');
  checkStructure(bytes.toString('latin1'));
  let email;
  try {
    email = await PostalMime.parse(bytes);
  } catch (e) {
    throw new EmlError(`raw could not be parsed as MIME: ${(e as Error).message}`);
  }
  return {
    messageId: email.messageId?.trim() || undefined,
    subject: email.subject ?? '',
    from: mailboxes(email.from)[0],
    to: mailboxes(email.to),
    cc: mailboxes(email.cc),
    bcc: mailboxes(email.bcc),
    attachments: email.attachments.map((a) => ({
      filename: a.filename ?? '',
      mimeType: a.mimeType,
      isInline: a.disposition === 'inline',
      contentId: a.contentId,
      size: byteLength(a.content),
    })),
    text: email.text ?? '',
    html: email.html ?? '',
    size: bytes.length,
  };
}
