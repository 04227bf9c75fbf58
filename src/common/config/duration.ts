const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Parses "900", "15m", "12h" or "30d" into seconds. */
export function parseDurationSeconds(value: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value.trim());
  if (!match) throw new Error(`not a duration: ${value}`);
  return Number(match[1]) * UNIT_SECONDS[match[2] || 's'];
}

export interface RateLimitRule {
  limit: number;
  windowSeconds: number;
}

/** Parses "20/5m" into twenty hits per 300 seconds. */
export function parseRateLimit(value: string): RateLimitRule {
  const [limit, window] = value.split('/');
  return { limit: Number(limit), windowSeconds: parseDurationSeconds(window) };
}
