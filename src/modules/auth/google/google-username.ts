import { randomInt } from 'node:crypto';

export const USERNAME_MIN = 3;
export const USERNAME_MAX = 30;
const FALLBACK = 'user';

/** `[A-Za-z0-9_]` only: accents dropped (`José` → `Jose`), separators to `_`, anything else removed. */
function sanitize(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[\s.\-+']+/g, '_')
    .replace(/[^A-Za-z0-9_]/g, '')
    .replace(/_+/g, '_')
    .replace(/^_|_$/g, '')
    .slice(0, USERNAME_MAX)
    .replace(/_$/, '');
}

/** The name to try first for a new account: from the profile name, else the email's local part, else `user`. */
export function usernameBase(profile: { name?: string; email?: string }): string {
  for (const source of [profile.name, profile.email?.split('@')[0]]) {
    const candidate = source ? sanitize(source) : '';
    if (candidate.length >= USERNAME_MIN) return candidate;
  }
  return FALLBACK;
}

/** `base` with `digits` random digits, cut so the whole stays within the length limit. */
export function usernameWithDigits(base: string, digits: number): string {
  const suffix = String(randomInt(0, 10 ** digits)).padStart(digits, '0');
  return `${base.slice(0, USERNAME_MAX - digits)}${suffix}`;
}
