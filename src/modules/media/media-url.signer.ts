import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@/common/config/app-config';

/** Path of the bytes under the public URL. */
export const FILES_PATH = '/api/v1/media/files';

export type SignatureCheck = 'valid' | 'expired' | 'invalid';

/**
 * Expiring HMAC-SHA256 URLs for media that are not public (premium, followers- or subscribers-only posts,
 * uploads not yet attached). The key is derived from `ENCRYPTION_KEY` with HKDF under its own label, so it signs
 * nothing else. Expiry times are rounded down to a step, so the same viewer gets the same URL for a while and
 * browsers can cache the bytes; a URL never lives longer than `MEDIA_URL_TTL`.
 */
@Injectable()
export class MediaUrlSigner {
  private readonly key: Buffer;
  private readonly ttl: number;
  private readonly step: number;
  private readonly base: string;

  constructor(config: AppConfig) {
    this.key = Buffer.from(hkdfSync('sha256', config.auth.encryptionKey, Buffer.alloc(0), 'x18 media url signature v1', 32));
    this.ttl = config.media.urlTtlSeconds;
    this.step = Math.min(300, Math.floor(this.ttl / 10));
    this.base = `${config.http.publicUrl}${FILES_PATH}`;
  }

  /** The plain URL: served only for public media. */
  publicUrl(key: string): string {
    return `${this.base}/${key}`;
  }

  signedUrl(key: string, nowMs = Date.now()): string {
    const until = Math.floor(nowMs / 1000) + this.ttl;
    const exp = this.step > 1 ? until - (until % this.step) : until;
    return `${this.publicUrl(key)}?exp=${exp}&sig=${this.sign(key, exp)}`;
  }

  sign(key: string, exp: number): string {
    return createHmac('sha256', this.key).update(`${key}\n${exp}`).digest('hex');
  }

  check(key: string, exp: unknown, sig: unknown, nowMs = Date.now()): SignatureCheck {
    if (typeof exp !== 'string' || !/^\d{1,12}$/.test(exp) || typeof sig !== 'string' || !/^[0-9a-f]{64}$/.test(sig)) return 'invalid';
    const expected = Buffer.from(this.sign(key, Number(exp)), 'hex');
    if (!timingSafeEqual(expected, Buffer.from(sig, 'hex'))) return 'invalid';
    return Number(exp) * 1000 <= nowMs ? 'expired' : 'valid';
  }
}
