import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { CLUSTER_ENV, ClusterInfo } from './cluster';

/** Stops the cluster and deletes its folder (KEEP_CLUSTER=1 leaves it running, for a look). */
export default async function globalTeardown(): Promise<void> {
  const raw = process.env[CLUSTER_ENV];
  if (!raw) return;
  const info = JSON.parse(raw) as ClusterInfo;
  if (process.env.KEEP_CLUSTER === '1') {
    console.log(`\nkept the cluster in ${info.dir}: stop it with CLUSTER_DIR=${info.dir} CLUSTER_PORT_BASE=${info.portBase} npm run cluster:down`);
    return;
  }
  const env = { ...process.env, CLUSTER_DIR: info.dir, CLUSTER_PORT_BASE: String(info.portBase) };
  const down = spawnSync('bash', [join(__dirname, '..', '..', '..', 'scripts', 'cluster', 'down.sh')], { env, encoding: 'utf8' });
  if (down.status !== 0) console.error(`scripts/cluster/down.sh failed:\n${down.stdout}${down.stderr}`);
}
