import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/postgresql';
import { ConfigError, loadConfig } from '../common/config/load-config';
import { buildOrmOptions } from '../common/database/orm-options';
import { migrateUnderLock } from '../common/database/migrate';
import { resolveDatabase } from '../bootstrap';

/** `npm run db:migrate`: applies pending migrations (the same locked step start-up runs) and exits. */
async function run(): Promise<void> {
  const config = loadConfig();
  const database = await resolveDatabase(config);
  const orm = await MikroORM.init(buildOrmOptions(config, database.url));
  try {
    const applied = await migrateUnderLock(orm);
    console.log(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'database is up to date');
  } finally {
    await orm.close();
    await database.stop();
  }
}

run().catch((error: unknown) => {
  console.error(`${error instanceof ConfigError ? 'configuration error' : 'migration failed'}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
