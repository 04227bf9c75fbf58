import { Transform } from 'class-transformer';
import { isISO8601 } from 'class-validator';

/**
 * An ISO 8601 date-time string becomes a `Date`; anything else stays as it came, for `@IsDate()` to refuse with a 400.
 * Not `@Type(() => Date)`: that runs `new Date(value)` on whatever arrives, so epoch milliseconds became a date and
 * `true` the first millisecond of 1970 (then answered "must be in the future"), although the document says
 * `format: date-time`.
 */
export function ToDateFromIso(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => (typeof value === 'string' && isISO8601(value, { strict: true }) ? new Date(value) : value));
}
