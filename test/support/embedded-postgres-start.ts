/**
 * Starts the embedded PostgreSQL in a process of its own (Jest's sandbox cannot `import()` the ESM-only package),
 * checks it answers, stops it, and prints one JSON line: `{ ok, url?, error? }`.
 *
 *   node -r ./test/support/ts-register.js test/support/embedded-postgres-start.ts <dataDir> <port> [modulesDir] [sharedRoot]
 */
import { canConnect, startEmbeddedPostgres } from '../../src/common/database/embedded-postgres';

async function main(): Promise<void> {
  const [dataDir, port, modulesDir, sharedRoot] = process.argv.slice(2);
  const server = await startEmbeddedPostgres(dataDir, Number(port), { modulesDir, sharedRoot });
  try {
    const ok = await canConnect(server.url, 5000);
    console.log(JSON.stringify({ ok }));
  } finally {
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.log(JSON.stringify({ ok: false, error: (error as Error).message }));
    process.exit(1);
  },
);
