import { Keyset } from '../http/pagination';

/**
 * The MikroORM filter for "older than the cursor" in a `(created_at desc, id desc)` order: rows before the
 * cursor's timestamp, or at the same timestamp with a smaller id. Matches the composite keyset indexes.
 */
export function olderThan(cursor: Keyset | undefined): object {
  if (!cursor) return {};
  return { $or: [{ createdAt: { $lt: cursor.at } }, { createdAt: cursor.at, id: { $lt: cursor.id } }] };
}

export const NEWEST_FIRST = { createdAt: 'desc', id: 'desc' } as const;
