import { readFileSync } from 'node:fs';
import Redis from 'ioredis';
import { Client } from 'pg';

/**
 * What a load run watches besides the answers: the service's PostgreSQL connections, Redis clients and memory.
 * Connections are counted from the servers' side, so a leak shows whoever holds it.
 */

/** Connections to `database` opened by the service (its `application_name` is `x18-<role>`). */
export async function postgresConnections(admin: Client, database: string): Promise<number> {
  const { rows } = await admin.query<{ n: number }>(
    `select count(*)::int as n from pg_stat_activity where datname = $1 and application_name like 'x18-%' and application_name not like 'x18-load%'`,
    [database],
  );
  return rows[0].n;
}

/** Redis `connected_clients`, minus the probe's own connection. */
export async function redisClients(redis: Redis): Promise<number> {
  const info = await redis.info('clients');
  return Number(/connected_clients:(\d+)/.exec(info)?.[1] ?? NaN) - 1;
}

/** Resident set size of a process, in MiB (Linux `/proc`); undefined when it cannot be read. */
export function rssMiB(pid: number): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round((Number(kb) / 1024) * 10) / 10 : undefined;
  } catch {
    return undefined;
  }
}

/** Samples `read` every `everyMs` until stopped. */
export class Sampler<T> {
  readonly samples: { at: number; value: T }[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly started = Date.now();

  constructor(read: () => T | undefined, everyMs: number) {
    const take = () => {
      const value = read();
      if (value !== undefined) this.samples.push({ at: Date.now() - this.started, value });
    };
    take();
    this.timer = setInterval(take, everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
