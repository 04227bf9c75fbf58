import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLUSTER_ENV, ClusterInfo, SKIP_ENV } from './cluster';

const ROOT = join(__dirname, '..', '..', '..');
const SCRIPTS = join(ROOT, 'scripts', 'cluster');

function parseEnvFile(file: string): Record<string, string> {
  const entries = readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]);
  return Object.fromEntries(entries);
}

/** Starts the cluster's infrastructure (not the apps: the suite runs its own), or records why the suite skips. */
export default async function globalSetup(): Promise<void> {
  const missing = execFileSync('bash', ['-c', `source ${join(SCRIPTS, 'lib.sh')} && missing_binaries`], { encoding: 'utf8' }).trim();
  if (missing) {
    const reason = `this machine lacks ${missing.split('\n').join(', ')}`;
    console.log(`\ncluster suite skipped: ${reason}`);
    process.env[SKIP_ENV] = reason;
    return;
  }
  const dir = join(tmpdir(), `x18-cluster-test-${process.pid}`);
  const env = { ...process.env, CLUSTER_DIR: dir, CLUSTER_PORT_BASE: process.env.CLUSTER_PORT_BASE ?? '18000' };
  const started = Date.now();
  const up = spawnSync('bash', [join(SCRIPTS, 'up.sh'), '--infra-only'], { env, encoding: 'utf8' });
  if (up.status !== 0) {
    spawnSync('bash', [join(SCRIPTS, 'down.sh')], { env, stdio: 'ignore' });
    throw new Error(`scripts/cluster/up.sh --infra-only failed:\n${up.stdout}${up.stderr}`);
  }
  const vars = parseEnvFile(join(dir, 'cluster.env'));
  const info: ClusterInfo = {
    dir,
    portBase: Number(env.CLUSTER_PORT_BASE),
    databaseUrl: vars.DATABASE_URL,
    primaryUrl: vars.CLUSTER_PRIMARY_URL,
    replicaUrl: vars.DATABASE_REPLICA_URLS,
    pgbouncer: vars.CLUSTER_PGBOUNCER === '1',
    redisNodes: vars.REDIS_CLUSTER_NODES,
    redisPorts: vars.CLUSTER_REDIS_PORTS.split(',').map(Number),
  };
  process.env[CLUSTER_ENV] = JSON.stringify(info);
  console.log(
    `\ncluster infrastructure up in ${((Date.now() - started) / 1000).toFixed(1)} s: Redis Cluster ${info.redisNodes}; ` +
      `PostgreSQL primary + streaming replica; ${info.pgbouncer ? 'PgBouncer (transaction mode) in front of the primary' : 'no PgBouncer (not installed, or CLUSTER_PGBOUNCER=0): apps use the primary directly'}`,
  );
}
