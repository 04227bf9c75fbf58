/** UTC months as the API names them (`2026-11`), and the 12 the earnings answer lists. */

/** `2026-11` for any instant in November 2026, UTC. */
export function monthOf(at: Date): string {
  return at.toISOString().slice(0, 7);
}

/** The 12 months ending with `now`'s month (UTC), oldest first: for 2026-03, 2025-04 … 2026-03. */
export function lastTwelveMonths(now: Date): string[] {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  return Array.from({ length: 12 }, (_, i) => monthOf(new Date(Date.UTC(year, month - 11 + i, 1))));
}

/** The first instant of the oldest of those 12 months. */
export function twelveMonthsStart(now: Date): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 11, 1));
}

/** One entry per month of `months`, the row found for it or `zero(month)`. */
export function fillMonths<T>(months: string[], rows: Map<string, T>, zero: (month: string) => T): T[] {
  return months.map((month) => rows.get(month) ?? zero(month));
}
