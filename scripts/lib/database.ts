import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import { resolveDatabase } from '@/bootstrap';
import { AppConfig } from '@/common/config/app-config';
import { loadConfig } from '@/common/config/load-config';
import { migrateUnderLock } from '@/common/database/migrate';
import { buildOrmOptions, sslFromUrl } from '@/common/database/orm-options';

export interface ScriptDatabase {
  url: string;
  config: AppConfig;
  /** Stops the embedded PostgreSQL if this process started it. */
  stop(): Promise<void>;
}

/**
 * The database a script works on, found as the service finds its own: `--database-url`, else `DATABASE_URL`,
 * else the embedded PostgreSQL under `DATA_DIR` (started if needed). Pending migrations are applied first,
 * with the same advisory-locked step start-up runs.
 */
export async function openScriptDatabase(databaseUrl: string | undefined): Promise<ScriptDatabase> {
  if (databaseUrl) process.env.DATABASE_URL = databaseUrl;
  const config = loadConfig();
  const database = await resolveDatabase(config);
  const orm = await MikroORM.init(buildOrmOptions(config, database.url));
  try {
    await migrateUnderLock(orm);
  } finally {
    await orm.close();
  }
  return { url: database.url, config, stop: () => database.stop() };
}

/** A plain `pg` client (COPY needs one connection held for the whole load); `sslmode` honoured as by the service. */
export async function connect(url: string, applicationName: string): Promise<Client> {
  const parsed = new URL(url);
  const ssl = sslFromUrl(url);
  parsed.searchParams.delete('sslmode');
  const client = new Client({ connectionString: parsed.toString(), ssl: ssl || undefined, application_name: applicationName });
  // A server-side termination (a restart, pg_terminate_backend) fails the next query instead of crashing the process.
  client.on('error', (error) => process.stderr.write(`database connection lost: ${error.message}\n`));
  await client.connect();
  return client;
}

/** The URL with another database name (same server and credentials). */
export function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

/** Creates the database if the server does not have it (connects to the server's `postgres` database). */
export async function ensureDatabase(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const admin = await connect(withDatabase(url, 'postgres'), 'x18-scripts');
  try {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) await admin.query(`create database "${name.replace(/"/g, '""')}"`);
  } finally {
    await admin.end();
  }
}
