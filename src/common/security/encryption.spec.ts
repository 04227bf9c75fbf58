import { randomBytes } from 'node:crypto';
import { decrypt, DecryptionError, encrypt } from './encryption';

describe('encryption', () => {
  const key = randomBytes(32);

  /** Replaces one `:`-separated part of a ciphertext. */
  function withPart(payload: string, index: number, change: (part: Buffer) => Buffer): string {
    const parts = payload.split(':');
    parts[index] = change(Buffer.from(parts[index], 'base64')).toString('base64');
    return parts.join(':');
  }

  function flipFirstBit(part: Buffer): Buffer {
    const copy = Buffer.from(part);
    copy[0] ^= 0x01;
    return copy;
  }

  it('round-trips text, including empty and non-ASCII text', () => {
    for (const plain of ['ya29.a0AfH6SMB-token', '', 'żółć 🔑', 'x'.repeat(10_000)]) {
      expect(decrypt(encrypt(plain, key), key)).toBe(plain);
    }
  });

  it('writes v1:<iv>:<tag>:<ciphertext> in base64, without the plain text', () => {
    const payload = encrypt('secret-access-token', key);
    expect(payload).toMatch(/^v1:[A-Za-z0-9+/=]{16}:[A-Za-z0-9+/=]{24}:[A-Za-z0-9+/=]+$/);
    expect(payload).not.toContain('secret-access-token');
  });

  it('uses a fresh IV each time, so equal texts encrypt differently', () => {
    const a = encrypt('same', key);
    const b = encrypt('same', key);
    expect(a).not.toBe(b);
    expect(a.split(':')[1]).not.toBe(b.split(':')[1]);
  });

  it.each([
    ['iv', 1],
    ['tag', 2],
    ['ciphertext', 3],
  ])('detects a tampered %s', (_name, index) => {
    const tampered = withPart(encrypt('secret-access-token', key), index, flipFirstBit);
    expect(() => decrypt(tampered, key)).toThrow(DecryptionError);
  });

  it('detects a truncated ciphertext', () => {
    const truncated = withPart(encrypt('secret-access-token', key), 3, (part) => part.subarray(0, part.length - 1));
    expect(() => decrypt(truncated, key)).toThrow(DecryptionError);
  });

  it('refuses to decrypt with another key', () => {
    const payload = encrypt('secret-access-token', key);
    expect(() => decrypt(payload, randomBytes(32))).toThrow(DecryptionError);
  });

  it.each(['', 'plain-token', 'v2:AAAA:AAAA:AAAA', 'v1:AAAA:AAAA', 'v1:not base64!:x:y', 'v1:AAAAAAAAAAAAAAAA:AAAA:AAAA'])(
    'refuses a malformed payload: %p',
    (payload) => {
      expect(() => decrypt(payload, key)).toThrow(DecryptionError);
    },
  );

  it('demands a 32-byte key', () => {
    expect(() => encrypt('x', randomBytes(16))).toThrow(RangeError);
    expect(() => decrypt(encrypt('x', key), randomBytes(31))).toThrow(RangeError);
  });
});
