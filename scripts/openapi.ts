import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { buildOpenApiDocumentOffline } from '../src/bootstrap';
import { loadConfig } from '../src/common/config/load-config';

/**
 * `npm run openapi -- [file]`: writes the OpenAPI document (`/docs-json`) without a database, Redis or a port:
 * Nest's preview mode registers the routes and builds no provider. `npm run lint:openapi` lints what it writes.
 * The configuration is the test one: which routes exist does not depend on it (only on `APP_ROLE`, here `all`).
 */
async function main(): Promise<void> {
  const out = process.argv[2];
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    APP_ROLE: 'all',
    JWT_SECRET: 'openapi-document-only-'.padEnd(64, 'x'),
    ENCRYPTION_KEY: '0'.repeat(64),
    DATABASE_URL: 'postgres://unused@127.0.0.1:1/unused',
  });
  const json = `${JSON.stringify(await buildOpenApiDocumentOffline(config), null, 2)}\n`;
  if (!out) {
    process.stdout.write(json);
    return;
  }
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, json);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (process.env.DEBUG ? error.stack : error.message) : error);
  process.exit(1);
});
