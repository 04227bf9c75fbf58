import { randomBytes } from 'node:crypto';
import { AppConfig } from '@/common/config/app-config';
import { MediaUrlSigner } from './media-url.signer';

const configWith = (encryptionKey: Buffer, ttl = 3600) =>
  ({ auth: { encryptionKey }, media: { urlTtlSeconds: ttl }, http: { publicUrl: 'https://x18.test' } }) as unknown as AppConfig;

describe(MediaUrlSigner.name, () => {
  const key = '2026/11/25/0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b-0123456789abcdef.jpg';
  const sut = new MediaUrlSigner(configWith(randomBytes(32)));
  const now = Date.UTC(2026, 10, 25, 12, 0, 0);
  const parts = (url: string) => Object.fromEntries(new URL(url).searchParams) as { exp: string; sig: string };

  it('mints URLs under the files path that expire within the TTL, stable for a few minutes so browsers can cache them', () => {
    const url = sut.signedUrl(key, now);
    expect(url).toMatch(new RegExp(`^https://x18\\.test/api/v1/media/files/${key.replace(/\./g, '\\.')}\\?exp=\\d+&sig=[0-9a-f]{64}$`));
    const lifetime = Number(parts(url).exp) - now / 1000;
    expect(lifetime).toBeGreaterThan(3600 * 0.9);
    expect(lifetime).toBeLessThanOrEqual(3600);
    expect(sut.signedUrl(key, now + 30_000)).toBe(url);
  });

  it('accepts its own signature until the expiry, then answers expired', () => {
    const { exp, sig } = parts(sut.signedUrl(key, now));
    expect(sut.check(key, exp, sig, now)).toBe('valid');
    expect(sut.check(key, exp, sig, Number(exp) * 1000)).toBe('expired');
  });

  it('refuses a signature for another key, another expiry, another secret, or malformed values', () => {
    const { exp, sig } = parts(sut.signedUrl(key, now));
    const other = new MediaUrlSigner(configWith(randomBytes(32)));
    expect(sut.check(key.replace('.jpg', '.preview.webp'), exp, sig, now)).toBe('invalid');
    expect(sut.check(key, String(Number(exp) + 1), sig, now)).toBe('invalid');
    expect(other.check(key, exp, sig, now)).toBe('invalid');
    for (const [e, s] of [[exp, sig.toUpperCase()], [exp, sig.slice(1)], [`${exp}.5`, sig], [undefined, sig], [exp, ['a']], ['-1', sig]]) {
      expect(sut.check(key, e, s, now)).toBe('invalid');
    }
  });

  it('never lets a short TTL round down to nothing', () => {
    const short = new MediaUrlSigner(configWith(randomBytes(32), 5));
    expect(Number(parts(short.signedUrl(key, now)).exp)).toBe(now / 1000 + 5);
  });
});
