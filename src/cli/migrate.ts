import 'reflect-metadata';
import { ConfigError, loadConfig } from '../common/config/load-config';
import { migrateBeforeStart } from '../common/database/migrate';
import { resolveDatabase } from '../bootstrap';

/** `npm run db:migrate`: applies pending migrations (the same locked step start-up runs) and exits. */
async function run(): Promise<void> {
  const config = loadConfig();
  const database = await resolveDatabase(config);
  try {
    const applied = await migrateBeforeStart(config, database.url);
    console.log(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}` : 'database is up to date');
  } finally {
    await database.stop();
  }
}

run().catch((error: unknown) => {
  console.error(`${error instanceof ConfigError ? 'configuration error' : 'migration failed'}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
