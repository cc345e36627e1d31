import { describe, expect, it } from 'vitest';
import { DOC_CODES, PLATFORM_CODES } from '../src/emulator/codes.js';
import { ERROR_TABLE, explainCode, FeishuError } from '../src/feishu/errors.js';

const CJK = /[\u4e00-\u9fff]/;

describe('error table', () => {
  it('explains every code of the five API pages and the platform codes, in Chinese and English', () => {
    const missing = [...DOC_CODES, ...PLATFORM_CODES].map((c) => c.code).filter((code) => !ERROR_TABLE[code]);
    expect(missing).toEqual([]);
    for (const [code, info] of Object.entries(ERROR_TABLE)) {
      for (const b of [info.problem, info.nextStep]) {
        expect(b.zh, `${code} zh`).toMatch(CJK);
        expect(b.en, `${code} en`).toMatch(/^[^\u4e00-\u9fff]+$/);
      }
    }
  });

  it('marks rate limits, send conflicts and server errors retryable, and quotas or bad input not', () => {
    for (const code of [99991400, 1236006, 1236010, 1230003, 1236019, 232019, 230020]) expect(ERROR_TABLE[code]?.retryable, String(code)).toBe(true);
    for (const code of [1234006, 1234008, 1236007, 1236005, 232001, 99991672]) expect(ERROR_TABLE[code]?.retryable, String(code)).toBe(false);
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
    expect(problem.zh).toContain('4242');
    expect(problem.zh).toContain('LOG42');
    expect(problem.en).toContain('4242');
    expect(nextStep.en.length).toBeGreaterThan(0);
    expect(explainCode(1234006).problem.zh).toBe('该邮箱地址已被占用。');
    expect(e.message).toContain('chat.create');
  });
});
