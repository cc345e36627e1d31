import { describe, expect, it } from 'vitest';
import { checkCounts, checkParties, externalCount, paginate, RuleError } from '../src/emulator/mail-rules.js';
import type { EmlSummary } from '../src/emulator/mime.js';

const summary = (over: Partial<EmlSummary>): EmlSummary => ({
  messageId: undefined,
  subject: '',
  from: undefined,
  to: [],
  cc: [],
  bcc: [],
  attachments: [],
  text: '',
  html: '',
  size: 0,
  ...over,
});
const addr = (mail_address: string) => ({ mail_address, name: '' });
const dir = {
  mailDomain: 'corp.example',
  deliverable: (a: string) => a === 'li@corp.example' || a === 'ops@corp.example',
};

function ruleCode(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof RuleError) return e.code;
    throw e;
  }
  throw new Error('expected a RuleError');
}

describe('paging', () => {
  it('walks a list page by page with opaque tokens', () => {
    const items = [1, 2, 3, 4, 5];
    const first = paginate(items, 2, undefined);
    const second = paginate(items, 2, first.page_token);
    const third = paginate(items, 2, second.page_token);
    expect([first.page, second.page, third.page]).toEqual([[1, 2], [3, 4], [5]]);
    expect([first.has_more, second.has_more, third.has_more, third.page_token]).toEqual([true, true, false, '']);
  });

  it('refuses a page token it did not issue', () => {
    expect(() => paginate([1], 1, 'garbage')).toThrow(/page_token is invalid/);
  });
});

describe('send checks', () => {
  it('counts to, cc and bcc together against the recipient limit', () => {
    const s = summary({ to: [addr('a@x.example')], cc: [addr('b@x.example')], bcc: [addr('c@x.example')] });
    expect(() => checkCounts(s, { maxRecipients: 3, maxAttachments: 1 })).not.toThrow();
    expect(ruleCode(() => checkCounts(s, { maxRecipients: 2, maxAttachments: 1 }))).toBe(1236003);
    expect(ruleCode(() => checkCounts(summary({}), { maxRecipients: 2, maxAttachments: 1 }))).toBe(1234008);
  });

  it('accepts the sender in any letter case and internal recipients that exist, including mail groups', () => {
    const s = summary({
      from: addr('Zhang@Corp.example'),
      to: [addr('LI@corp.example'), addr('ops@corp.example'), addr('x@vendor.example')],
    });
    expect(() => checkParties(s, 'zhang@corp.example', dir)).not.toThrow();
  });

  it('refuses a foreign From (1236017) and an unknown internal recipient (1236018)', () => {
    expect(
      ruleCode(() =>
        checkParties(
          summary({ from: addr('li@corp.example'), to: [addr('x@vendor.example')] }),
          'zhang@corp.example',
          dir,
        ),
      ),
    ).toBe(1236017);
    expect(ruleCode(() => checkParties(summary({ to: [addr('ghost@corp.example')] }), 'zhang@corp.example', dir))).toBe(
      1236018,
    );
  });

  it('counts only recipients outside the tenant domain as external', () => {
    expect(
      externalCount(
        summary({ to: [addr('li@corp.example'), addr('x@vendor.example')], bcc: [addr('y@other.example')] }),
        'corp.example',
      ),
    ).toBe(2);
  });
});
