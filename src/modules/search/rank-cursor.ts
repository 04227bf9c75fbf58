import { AppException } from '@/common/errors/app.exception';
import { ErrorCode } from '@/common/errors/error-code';

/**
 * Cursors over a ranked list (users by exact match and followers, hashtags by uses): the last row's rank values and
 * its tie-breaker, as base64url JSON. `shape` says what each position must be; anything else is a 400, never a query.
 */
type Kind = 'int' | 'uuid' | 'tag';
type Value<K extends Kind> = K extends 'int' ? number : string;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CHECK: Record<Kind, (v: unknown) => boolean> = {
  int: (v) => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= 2_147_483_647,
  uuid: (v) => typeof v === 'string' && UUID.test(v),
  tag: (v) => typeof v === 'string' && /^[\p{L}\p{N}_]{1,100}$/u.test(v),
};

export function encodeRankCursor(values: (number | string)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeRankCursor<const S extends readonly Kind[]>(
  cursor: string | undefined,
  shape: S,
): { [I in keyof S]: Value<S[I]> } | undefined {
  if (!cursor) return undefined;
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    values = undefined;
  }
  if (!Array.isArray(values) || values.length !== shape.length || !shape.every((kind, i) => CHECK[kind](values[i]))) {
    throw new AppException(ErrorCode.ValidationFailed, 'The cursor is not valid', { errors: [{ field: 'cursor', message: 'invalid cursor' }] });
  }
  return values as { [I in keyof S]: Value<S[I]> };
}
