import { Transform } from 'class-transformer';
import { isISO8601 } from 'class-validator';

const CALENDAR_DATE = /^(\d{4})-(\d{2})-(\d{2})/;

/**
 * The `Date` an ISO 8601 string names, or undefined when it names none (not ISO 8601, or a day the calendar does not
 * have, such as February 30). Not validator's `strict` option: it checks the day with `new Date(y, m, d)`, which reads
 * years 0-99 as 1900-1999, so it refused every date-time of the years 0001-0099 that RFC 3339 allows (found by the
 * generated-request sweep).
 */
export function parseIsoDateTime(value: string): Date | undefined {
  if (!isISO8601(value)) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return undefined;
  const day = CALENDAR_DATE.exec(value);
  if (day) {
    const [year, month, dayOfMonth] = day.slice(1).map(Number);
    const check = new Date(0);
    check.setUTCFullYear(year, month - 1, dayOfMonth);
    if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== dayOfMonth) return undefined;
  }
  return date;
}

/**
 * An ISO 8601 date-time string becomes a `Date`; anything else stays as it came, for `@IsDate()` to refuse with a 400.
 * Not `@Type(() => Date)`: that runs `new Date(value)` on whatever arrives, so epoch milliseconds became a date and
 * `true` the first millisecond of 1970 (then answered "must be in the future"), although the document says
 * `format: date-time`.
 */
export function ToDateFromIso(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? (parseIsoDateTime(value) ?? value) : value));
}
