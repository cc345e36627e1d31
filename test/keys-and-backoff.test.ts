/**
 * The shared derivations: one key derivation whose outputs are stored and sent to Feishu (so they are pinned here, as
 * the inline sha256 they replaced produced them), and one backoff for the client, the inbox and the workflow engine.
 */
import { describe, expect, it } from 'vitest';
import { backoffMs } from '../src/backoff.js';
import { deriveKey } from '../src/keys.js';

describe('deriveKey', () => {
  it('keeps the keys already stored and sent as uuids: sha256 of the parts joined by "|", first 32 hex digits', () => {
    expect(deriveKey('om_1#0')).toBe('9fb5a0df1c509c0c4740905f1d93584e');
    expect(deriveKey('oauth', 'st')).toBe('c9ade5e96fccf4e934eaf82e7c685204');
    expect(deriveKey('run', 'step', '')).toBe('c1323c7c9db0ac1c1aee6c6020d0e02e');
    expect(deriveKey('run', 'step', 'member:ou_1')).toBe('c3380fee4caa81eeb4d5e2262ce436db');
    expect(deriveKey('中文', 'x')).toBe('8b3b7b54c55b135676842661c0097dce');
  });

  it('fits a Feishu uuid (at most 50 characters)', () => {
    expect(deriveKey('a'.repeat(10_000))).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('backoffMs', () => {
  it('doubles from the base with each attempt, up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffMs(a, { baseMs: 1000, maxMs: 10_000 }))).toEqual([
      1000, 2000, 4000, 8000, 10_000, 10_000,
    ]);
  });

  it('has no cap unless given one', () => {
    expect(backoffMs(12, { baseMs: 500 })).toBe(500 * 2 ** 11);
  });

  it('with jitter, spreads over the upper half of the ceiling', () => {
    const o = (r: number) => ({ baseMs: 250, maxMs: 10_000, random: () => r });
    expect([0, 0.5, 1].map((r) => backoffMs(3, o(r)))).toEqual([500, 750, 1000]);
  });

  it('never comes sooner than a reset hint', () => {
    expect(backoffMs(1, { baseMs: 250 }, 3_000)).toBe(3_000);
    expect(backoffMs(4, { baseMs: 250 }, 1_000)).toBe(2_000);
  });
});
