import { Logger } from '@nestjs/common';
import type { AnyEntity, EntityData } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { readSql } from './request-context';

const logger = new Logger('ReadReplica');
/** Warn about a failing replica at most this often, not once per request. */
const WARN_EVERY_MS = 60_000;
let lastWarning = 0;

/**
 * Errors after which a read is worth repeating on the primary: the replica is unreachable or out of connections
 * (no SQLSTATE, class 08, 53300), shutting down or starting (57P01-57P03), or cancelled the query to replay WAL
 * (40001, "conflict with recovery"). Anything else (a bad query, a statement timeout) would fail there too.
 */
export function isReplicaTrouble(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return true;
  return code.startsWith('08') || ['53300', '57P01', '57P02', '57P03', '40001'].includes(code);
}

/**
 * Runs a read-only query on a read replica (`DATABASE_REPLICA_URLS`), for reads where a page a moment old is fine:
 * timelines, profiles, lists. Without replicas, or inside a transaction, it runs where `em` runs (the primary).
 * A replica that is down or cancels the query costs a retry on the primary, not an error.
 */
export async function executeOnReplica<T extends EntityData<AnyEntity>[]>(em: EntityManager, sql: string, params: unknown[] = []): Promise<T> {
  const replica = em.getConnection('read');
  if (replica === em.getConnection('write') || em.isInTransaction()) return readSql<T>(em, sql, params);
  try {
    return await replica.execute<T>(sql, params, 'all');
  } catch (error) {
    if (!isReplicaTrouble(error)) throw error;
    if (Date.now() - lastWarning > WARN_EVERY_MS) {
      lastWarning = Date.now();
      logger.warn(`read replica failed (${(error as Error).message}); reading from the primary`);
    }
    return readSql<T>(em, sql, params);
  }
}
