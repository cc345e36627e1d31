import { describe, expect, it } from 'vitest';
import { decrypt, DecryptError, encrypt, sameDigest, signEvent, signLegacyCard } from '../src/protocol/crypto.js';

describe('push cryptography', () => {
  it('decrypts the official test vector', () => {
    expect(decrypt('P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=', 'test key')).toBe('hello world');
  });

  it('round-trips Chinese JSON through encrypt and decrypt', () => {
    const text = JSON.stringify({ text: '/group create 新员工群 “产品 研发”' });
    expect(decrypt(encrypt(text, 'k1'), 'k1')).toBe(text);
  });

  it('rejects ciphertext made with another key', () => {
    expect(() => decrypt(encrypt('{"a":1}', 'right'), 'wrong')).toThrow(DecryptError);
  });

  it('rejects ciphertext of a wrong length', () => {
    expect(() => decrypt('aGVsbG8=', 'k')).toThrow(/length/);
  });

  it('signs events like the documented sha256 vector', () => {
    const body = '{"encrypt":"P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="}';
    expect(signEvent('1700000000', 'nonce-1', 'test key', body)).toBe(
      '002a272a435d056759149cce18e88064ff320d38d91a09432445c344c4296949',
    );
  });

  it('signs legacy card callbacks like the documented sha1 vector', () => {
    const body = '{"open_id":"ou_x","token":"c-abc","action":{"value":{"k":"v"},"tag":"button"}}';
    expect(signLegacyCard('1700000000', 'nonce-1', 'vtoken', body)).toBe('45a835c73d7bf53fb6d883eba50fa702cdd0f7ba');
  });

  it('compares digests by value and length', () => {
    expect(sameDigest('abCD', 'ABcd')).toBe(true);
    expect(sameDigest('abcd', 'abce')).toBe(false);
    expect(sameDigest('abcd', 'abcde')).toBe(false);
  });
});
