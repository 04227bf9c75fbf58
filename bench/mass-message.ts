/**
 * `npm run bench:mass-message`: the `mass-message` part of `npm run bench` alone, with the service run from source
 * (no build) and its options at hand: a mass message to 100,000 followers on a scratch database (created and dropped;
 * `--keep` keeps it), timed from the `POST /messages/mass` to every copy readable. The measurement is
 * bench/lib/mass-message.ts; `npm run bench -- --only mass-message` runs the same one on the built service and records
 * it in bench/results/latest.json. docs/benchmarks.md#mass-message has the figures.
 */
import 'reflect-metadata';
import { join, resolve } from 'node:path';
import { parseArgs } from '../scripts/lib/args';
import { massMessageTable, measureMassMessage } from './lib/mass-message';
import { start } from './lib/processes';

const ROOT = resolve(__dirname, '..');

const USAGE = `Times a mass message to many followers, from the POST to every copy readable (scratch database, service from source).

  npm run bench:mass-message -- [options]`;

const args = parseArgs(
  process.argv.slice(2),
  [
    { name: 'followers', value: 'number', default: 100_000, help: 'followers of the sender (the audience)' },
    { name: 'runs', value: 'number', default: 2, help: 'mass messages sent one after the other (the first creates the conversations)' },
    { name: 'batch', value: 'number', default: 5000, help: 'MASS_MESSAGE_BATCH_SIZE' },
    { name: 'port', value: 'number', default: 3917, help: 'HTTP port of the service under test' },
    { name: 'server-url', value: 'string', help: 'PostgreSQL server to create the scratch database on (default: TEST_DATABASE_URL, else local)' },
    { name: 'keep', help: 'keep the scratch database' },
  ],
  USAGE,
);

async function main(): Promise<void> {
  const result = await measureMassMessage({
    server: (args['server-url'] as string | undefined) ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    followers: args.followers as number,
    runs: args.runs as number,
    batch: args.batch as number,
    port: Math.floor(args.port as number),
    keep: !!args.keep,
    env: { ...process.env, NODE_ENV: 'development' },
    startService: (env) => start('service', process.execPath, ['-r', join(ROOT, 'test/support/ts-register.js'), join(ROOT, 'src/main.ts')], env),
    log: (line) => console.log(line),
  });
  console.log(['', ...massMessageTable(result)].join('\n'));
}

main().catch((error: Error) => {
  console.error(error.stack ?? error.message);
  process.exit(1);
});
