import { Rng } from './prng';

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * A UUID v7 for a given time with random bits from a seeded generator: rows get time-ordered ids that match their
 * `created_at` (as ids created by the service do), and the same seed gives the same ids.
 */
export function uuid7(ms: number, rng: Rng): string {
  const r1 = rng.u32();
  const r2 = rng.u32();
  const r3 = rng.u32();
  const hi = Math.floor(ms / 0x1000000); // top 24 bits of the 48-bit timestamp
  const lo = ms % 0x1000000;
  return (
    HEX[(hi >>> 16) & 0xff] +
    HEX[(hi >>> 8) & 0xff] +
    HEX[hi & 0xff] +
    HEX[(lo >>> 16) & 0xff] +
    '-' +
    HEX[(lo >>> 8) & 0xff] +
    HEX[lo & 0xff] +
    '-' +
    HEX[0x70 | (r1 & 0x0f)] +
    HEX[(r1 >>> 8) & 0xff] +
    '-' +
    HEX[0x80 | ((r1 >>> 16) & 0x3f)] +
    HEX[(r1 >>> 24) & 0xff] +
    '-' +
    HEX[r2 & 0xff] +
    HEX[(r2 >>> 8) & 0xff] +
    HEX[(r2 >>> 16) & 0xff] +
    HEX[(r2 >>> 24) & 0xff] +
    HEX[r3 & 0xff] +
    HEX[(r3 >>> 8) & 0xff]
  );
}
