import { describe, expect, it } from 'vitest';
import { DOC_CODES, PLATFORM_CODES } from '../src/emulator/codes.js';
import {
  ERROR_TABLE,
  explainCode,
  FeishuError,
  isAddressTaken,
  isUnknownMailDomain,
  isUserOutOfReach,
  NETWORK_ERROR,
} from '../src/feishu/errors.js';
import { LOCALES } from '../src/i18n.js';

const CJK = /[\u4e00-\u9fff]/;
const KANA = /[\u3040-\u30ff]/;

describe('error table', () => {
  it('explains every code of the five API pages and the platform codes, in Chinese, English and Japanese', () => {
    const missing = [...DOC_CODES, ...PLATFORM_CODES].map((c) => c.code).filter((code) => !ERROR_TABLE[code]);
    expect(missing).toEqual([]);
    for (const [code, info] of Object.entries(ERROR_TABLE)) {
      for (const text of [info.problem, info.nextStep, ...(info.title ? [info.title] : [])]) {
        expect(text.zh_cn, `${code} zh_cn`).toMatch(CJK);
        expect(text.zh_cn, `${code} zh_cn`).not.toMatch(KANA);
        expect(text.en_us, `${code} en_us`).toMatch(/^[^\u3040-\u30ff\u4e00-\u9fff]+$/);
        expect(text.ja_jp, `${code} ja_jp`).toMatch(KANA);
      }
    }
  });

  it('marks rate limits, send conflicts and server errors retryable, and quotas or bad input not', () => {
    for (const code of [99991400, 1236006, 1236010, 1230003, 1236019, 232019, 230020])
      expect(ERROR_TABLE[code]?.retryable, String(code)).toBe(true);
    for (const code of [1234006, 1234008, 1236007, 1236005, 232001, 99991672])
      expect(ERROR_TABLE[code]?.retryable, String(code)).toBe(false);
  });

  it('treats an unknown code as retryable only when the HTTP status says so', () => {
    expect(new FeishuError({ code: 777, msg: 'x', endpoint: 'e', httpStatus: 503 }).retryable).toBe(true);
    expect(new FeishuError({ code: 777, msg: 'x', endpoint: 'e', httpStatus: 429 }).retryable).toBe(true);
    expect(new FeishuError({ code: 777, msg: 'x', endpoint: 'e', httpStatus: 400 }).retryable).toBe(false);
    expect(new FeishuError({ code: 1234008, msg: 'x', endpoint: 'e', httpStatus: 500 }).retryable).toBe(true);
  });

  it('gives unknown codes a generic explanation naming the code and log id', () => {
    const e = new FeishuError({ code: 4242, msg: 'odd', endpoint: 'chat.create', httpStatus: 400, logId: 'LOG42' });
    const { problem, nextStep } = e.explain();
    for (const locale of LOCALES) {
      expect(problem[locale]).toContain('4242');
      expect(problem[locale]).toContain('LOG42');
      expect(nextStep[locale].length).toBeGreaterThan(0);
    }
    expect(explainCode(4242).problem.en_us).not.toContain('reference');
    expect(explainCode(1234006).problem.zh_cn).toBe('该邮箱地址已被占用。');
    expect(explainCode(1234006).problem.ja_jp).toBe('このアドレスはすでに使用されています。');
    expect(e.message).toContain('chat.create');
  });

  it('gives each failure a kind a caller can act on', () => {
    const kind = (code: number, httpStatus = 400) =>
      new FeishuError({ code, msg: 'x', endpoint: 'e', httpStatus }).kind;
    expect(kind(1234006, 409)).toBe('conflict');
    expect(kind(1234033, 409)).toBe('conflict');
    expect(kind(1234013, 404)).toBe('not_found');
    expect(kind(40001)).toBe('not_found');
    expect(kind(99991672)).toBe('permission');
    expect(kind(41050)).toBe('permission');
    expect(kind(1236007)).toBe('quota');
    expect(kind(99991403)).toBe('quota');
    expect(kind(99991400, 429)).toBe('transient');
    expect(kind(1236006, 429)).toBe('transient');
    expect(new FeishuError({ code: NETWORK_ERROR, msg: 'x', endpoint: 'e' }).kind).toBe('transient');
    expect(kind(99991668)).toBe('needs_sign_in');
    expect(kind(99991677)).toBe('needs_sign_in');
    expect(kind(20026)).toBe('needs_sign_in');
    expect(kind(1234008)).toBe('invalid');
    expect(kind(230099)).toBe('internal');
    // Unlisted codes: by HTTP status; any 5xx is worth another try whatever the code says.
    expect(kind(777)).toBe('unknown');
    expect(kind(777, 404)).toBe('not_found');
    expect(kind(777, 429)).toBe('transient');
    expect(kind(1234008, 500)).toBe('transient');
    for (const [code, info] of Object.entries(ERROR_TABLE))
      expect(info.retryable, code).toBe(info.kind === 'transient');
  });

  it('names the outcomes handlers branch on, so that no handler compares a code', () => {
    const err = (code: number) => new FeishuError({ code, msg: 'x', endpoint: 'mailgroup.create', httpStatus: 400 });
    expect([1234006, 1234033, 1234019, 1234008].map((c) => isAddressTaken(err(c)))).toEqual([true, true, false, false]);
    expect([1234019, 1234006].map((c) => isUnknownMailDomain(err(c)))).toEqual([true, false]);
    expect([40001, 41050, 99991672].map((c) => isUserOutOfReach(err(c)))).toEqual([true, true, false]);
    expect(isAddressTaken(new Error('1234006'))).toBe(false);
  });

  it('says what to do in plain terms, naming no command (a card adds one when its handler knows it exists)', () => {
    const commands = Object.entries(ERROR_TABLE).flatMap(([code, info]) =>
      LOCALES.flatMap((locale) => [info.problem[locale], info.nextStep[locale]])
        .filter((t) => /(^|[\s（(“"])\/[a-z]/i.test(t))
        .map((t) => `${code}: ${t}`),
    );
    expect(commands).toEqual([]);
  });
});
