import { Logger } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
import { AppConfig } from '../config/app-config';
import { buildOrmOptions } from './orm-options';

/** An arbitrary, fixed key: every process of this service migrating at once waits on the same lock. */
const MIGRATION_LOCK_KEY = 0x18_0001;

/**
 * Applies pending migrations inside one transaction holding a transaction-scoped advisory lock,
 * so several processes starting at once migrate exactly once (and it works behind PgBouncer in
 * transaction mode, where session-level locks would not).
 */
export async function migrateUnderLock(orm: MikroORM): Promise<string[]> {
  const connection = orm.em.getConnection();
  const lock = (trx: unknown) => connection.execute('select pg_advisory_xact_lock(?)', [MIGRATION_LOCK_KEY], 'all', trx as never);
  // Its own committed step: the migrator checks for this table on another connection, which must see it.
  await connection.transactional(async (trx) => {
    await lock(trx);
    await connection.execute(
      'create table if not exists mikro_orm_migrations (id serial primary key, name varchar(255), executed_at timestamptz default current_timestamp)',
      [],
      'run',
      trx,
    );
  });
  const applied = await connection.transactional(async (trx) => {
    await lock(trx);
    return orm.getMigrator().up({ transaction: trx });
  });
  const names = applied.map((m) => m.name);
  if (names.length) new Logger('Migrations').log(`applied ${names.length}: ${names.join(', ')}`);
  return names;
}

/**
 * Migrates with a short-lived ORM of its own, before the application (its workers, relay and sweeps) exists: a
 * worker started on a fresh database waits here, on the lock, until the schema is there, instead of polling tables
 * that do not exist yet. Two connections: the migrator looks for its table outside the locked transaction.
 */
export async function migrateBeforeStart(config: AppConfig, url: string): Promise<string[]> {
  const options = buildOrmOptions(config, url);
  const orm = await MikroORM.init({ ...options, replicas: [], pool: { ...options.pool, min: 0, max: 2 } });
  try {
    return await migrateUnderLock(orm);
  } finally {
    await orm.close();
  }
}
