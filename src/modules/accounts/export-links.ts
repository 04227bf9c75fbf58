import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@/common/config/app-config';

/** An export's download link lives this long. */
export const EXPORT_LINK_TTL_SECONDS = 24 * 3600;

/** HMAC-signed, expiring download links for exports; the key is derived from ENCRYPTION_KEY under its own label. */
@Injectable()
export class ExportLinks {
  private readonly key: Buffer;

  constructor(private readonly config: AppConfig) {
    this.key = Buffer.from(hkdfSync('sha256', config.auth.encryptionKey, Buffer.alloc(0), 'x18 export link v1', 32));
  }

  url(exportId: string, expiresAt: Date): string {
    const exp = Math.floor(expiresAt.getTime() / 1000);
    return `${this.config.http.publicUrl}/api/v1/exports/${exportId}/archive?exp=${exp}&sig=${this.sign(exportId, exp)}`;
  }

  valid(exportId: string, exp: unknown, sig: unknown, nowMs = Date.now()): boolean {
    if (typeof exp !== 'string' || !/^\d{1,12}$/.test(exp) || typeof sig !== 'string' || !/^[0-9a-f]{64}$/.test(sig)) return false;
    const expected = Buffer.from(this.sign(exportId, Number(exp)), 'hex');
    return timingSafeEqual(expected, Buffer.from(sig, 'hex')) && Number(exp) * 1000 > nowMs;
  }

  private sign(exportId: string, exp: number): string {
    return createHmac('sha256', this.key).update(`${exportId}\n${exp}`).digest('hex');
  }
}
