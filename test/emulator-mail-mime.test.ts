import fc from 'fast-check';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { describe, expect, it } from 'vitest';
import { decodeBase64Url, EmlError, encodeBase64Url, parseEml } from '../src/emulator/mime.js';

/** The `raw` example of Feishu "发送邮件" (padded standard base64, LF line ends). */
const DOC_RAW =
  'U3ViamVjdDogSGVsbG8hCkZyb206ICJtaWtlIiA8bWlrZUBtaWtlLmNvbT4KTWltZS1WZXJzaW9uOiAxLjAKQ29udGVudC1UeXBlOiBtdWx0aXBhcnQvYWx0ZXJuYXRpdmU7CiBib3VuZGFyeT1iMjhmYTIyNGExZWU2ZDY3ZjE3OTViNGUxZDEwM2Q3MTBlNzM5ZWVmYjFmZjlmOWQ4NWI4M2NlOTRmMTEKRGF0ZTogV2VkLCAyMyBKdWwgMjAyNSAxNTo0NDoxOCArMDgwMApNZXNzYWdlLUlkOiA8bW9ja3V1aWRtZXNzYWdlX2lkQGxhcmsuY29tPgpUbzogImphY2siIDxqYWNrQGphY2suY29tPgoKLS1iMjhmYTIyNGExZWU2ZDY3ZjE3OTViNGUxZDEwM2Q3MTBlNzM5ZWVmYjFmZjlmOWQ4NWI4M2NlOTRmMTEKQ29udGVudC1UcmFuc2Zlci1FbmNvZGluZzogN2JpdApDb250ZW50LVR5cGU6IHRleHQvcGxhaW47IGNoYXJzZXQ9VVRGLTgKCldlbGNvbWUgdG8gTGFyayBtYWlsIQotLWIyOGZhMjI0YTFlZTZkNjdmMTc5NWI0ZTFkMTAzZDcxMGU3MzllZWZiMWZmOWY5ZDg1YjgzY2U5NGYxMQo=';

async function compose(options: SendMailOptions): Promise<Buffer> {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true });
  const info = await transport.sendMail(options);
  return info.message as Buffer;
}

describe('base64url decoding of raw EML', () => {
  it('decodes every alphabet and padding form the CLI accepts to the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), (arr) => {
        const bytes = Buffer.from(arr);
        const std = bytes.toString('base64');
        for (const form of [
          std,
          std.replace(/=+$/, ''),
          encodeBase64Url(bytes),
          std.replace(/\+/g, '-').replace(/\//g, '_'),
        ]) {
          expect(decodeBase64Url(form).equals(bytes)).toBe(true);
        }
      }),
    );
  });

  it('ignores line breaks inside the encoded text', () => {
    const encoded = encodeBase64Url('From: a@b.example\r\n\r\nhi');
    expect(decodeBase64Url(`${encoded.slice(0, 8)}\r\n${encoded.slice(8)}`).toString()).toBe(
      'From: a@b.example\r\n\r\nhi',
    );
  });

  it('rejects characters outside base64', () => {
    expect(() => decodeBase64Url('From: a@b')).toThrow(/not base64url/);
  });

  it('rejects a string that mixes the url-safe and the standard alphabet', () => {
    expect(() => decodeBase64Url('ab-_ab+/')).toThrow(/mixes/);
  });

  it('rejects a truncated length', () => {
    expect(() => decodeBase64Url('abcde')).toThrow(/truncated/);
    expect(() => decodeBase64Url('abcdef=')).toThrow(/truncated/);
  });
});

describe('MIME validation and summary', () => {
  it('accepts the documented raw example and reads its headers', async () => {
    const summary = await parseEml(decodeBase64Url(DOC_RAW));
    expect(summary).toMatchObject({
      messageId: '<mockuuidmessage_id@lark.com>',
      subject: 'Hello!',
      from: { mail_address: 'mike@mike.com', name: 'mike' },
      to: [{ mail_address: 'jack@jack.com', name: 'jack' }],
    });
    expect(summary.text.trim()).toBe('Welcome to Lark mail!');
  });

  it('summarises a nodemailer message with Chinese subject, cc, bcc and attachments', async () => {
    const bytes = await compose({
      from: '张伟 <zhangwei@feishu-ops.example>',
      to: ['li@example.com', 'Wang <wang@example.com>'],
      cc: 'cc@example.com',
      bcc: 'hidden@example.com',
      subject: '周报 Weekly report',
      text: '你好',
      html: '<p>你好</p><img src="cid:logo@x">',
      messageId: '<weekly-1@feishu-ops.example>',
      attachments: [
        { filename: 'a.txt', content: 'hello' },
        { filename: 'logo.png', content: Buffer.from([1, 2, 3]), cid: 'logo@x' },
      ],
    });
    const summary = await parseEml(bytes);
    expect(summary.subject).toBe('周报 Weekly report');
    expect(summary.from).toEqual({ mail_address: 'zhangwei@feishu-ops.example', name: '张伟' });
    expect(summary.to.map((a) => a.mail_address)).toEqual(['li@example.com', 'wang@example.com']);
    expect(summary.cc).toEqual([{ mail_address: 'cc@example.com', name: '' }]);
    expect(summary.bcc).toEqual([{ mail_address: 'hidden@example.com', name: '' }]);
    expect(summary.messageId).toBe('<weekly-1@feishu-ops.example>');
    expect(summary.attachments.map((a) => [a.filename, a.size, a.isInline]).sort()).toEqual([
      ['a.txt', 5, false],
      ['logo.png', 3, true],
    ]);
    expect(summary.size).toBe(bytes.length);
  });

  it.each([
    ['empty input', '', /empty/],
    ['plain text without headers', 'hello there\n\nbody', /header block/],
    ['a broken header line', 'From: a@b.example\nthis is not a header\n\nbody', /line 2/],
    ['neither From nor To', 'Subject: hi\n\nbody', /no From or To/],
    ['multipart without boundary', 'From: a@b.example\nContent-Type: multipart/mixed\n\nbody', /no boundary/],
    [
      'multipart whose boundary never appears',
      'From: a@b.example\nContent-Type: multipart/mixed; boundary="xyz"\n\nbody',
      /--xyz/,
    ],
  ])('rejects %s', async (_name, eml, message) => {
    const error = await parseEml(Buffer.from(eml)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmlError);
    expect((error as Error).message).toMatch(message);
  });

  it('accepts folded headers and a message without a body', async () => {
    const summary = await parseEml(Buffer.from('To: "Li"\r\n <li@example.com>\r\nSubject: a\r\n long subject\r\n'));
    expect(summary.to).toEqual([{ mail_address: 'li@example.com', name: 'Li' }]);
    expect(summary.subject).toBe('a long subject');
  });
});
