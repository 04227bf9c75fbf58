import { Logger } from '@nestjs/common';
import { Options } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { ReflectMetadataProvider } from '@mikro-orm/core';
import { MIGRATIONS } from '../../../migrations';
import { AppConfig } from '../config/app-config';
import { ENTITIES } from './entities';

type SslOption = false | { rejectUnauthorized: boolean };

/**
 * libpq's `sslmode` from the URL: `disable` is plain, `prefer`/`require`/`no-verify` encrypt without checking
 * the certificate (as libpq does), `verify-ca`/`verify-full` check it.
 */
export function sslFromUrl(url: string): SslOption {
  const mode = new URL(url).searchParams.get('sslmode');
  if (!mode || mode === 'disable' || mode === 'allow') return false;
  if (mode === 'verify-ca' || mode === 'verify-full') return { rejectUnauthorized: true };
  return { rejectUnauthorized: false };
}

/** Drops libpq-only query parameters the node driver would misread. */
function stripSslMode(url: string): string {
  const parsed = new URL(url);
  parsed.searchParams.delete('sslmode');
  return parsed.toString();
}

/**
 * knex reports pool and connection trouble ("Connection Error: …") through its own logger, which writes with
 * `console.log`; MikroORM's writer is `console.log` too. Both go through Nest's logger (pino in the app) instead.
 */
const knexLogger = new Logger('Knex');
const knexLog = {
  warn: (message: unknown) => knexLogger.warn(String(message)),
  error: (message: unknown) => knexLogger.error(String(message)),
  deprecate: (message: unknown) => knexLogger.warn(String(message)),
  debug: (message: unknown) => knexLogger.debug(String(message)),
};
const ormLogger = new Logger('MikroORM');

export function buildOrmOptions(config: AppConfig, url: string): Options<PostgreSqlDriver> {
  const connection = (target: string) => ({
    ssl: sslFromUrl(target),
    statement_timeout: config.database.statementTimeoutMs || undefined,
    application_name: `x18-${config.role}`,
  });
  return {
    driver: PostgreSqlDriver,
    clientUrl: stripSslMode(url),
    entities: ENTITIES,
    metadataProvider: ReflectMetadataProvider,
    discovery: { warnWhenNoEntities: false },
    forceUtcTimezone: true,
    pool: { min: 0, max: config.database.poolMax, idleTimeoutMillis: 30_000 },
    driverOptions: { connection: connection(url), log: knexLog },
    replicas: config.database.replicaUrls.map((replica) => ({
      clientUrl: stripSslMode(replica),
      name: new URL(replica).host,
      driverOptions: { connection: connection(replica), log: knexLog },
    })),
    // Reads go to the primary unless a repository asks for a replica (`executeOnReplica`): MikroORM's default would send
    // every `find` outside a transaction to a replica, also those that must see a write made just before.
    preferReadReplicas: false,
    extensions: [Migrator],
    migrations: {
      tableName: 'mikro_orm_migrations',
      migrationsList: MIGRATIONS,
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      silent: true,
      emit: 'ts',
      path: 'dist/migrations',
      pathTs: 'migrations',
    },
    debug: process.env.MIKRO_ORM_DEBUG === 'true',
    logger: (message: string) => ormLogger.log(message),
  };
}
