import { Client } from 'pg';
import { RedisServer } from '../support/redis-server';
import { untilRunning, WorkerProcess } from '../support/worker-process';

/**
 * The soak's chaos loop: at random moments it restarts Redis empty (no persistence: every queued job is gone), kills
 * every PostgreSQL backend of the soak's database, or SIGKILLs a worker process and starts another.
 */
export type FaultKind = 'redis_restart' | 'postgres_kill' | 'worker_kill';

export interface Fault {
  kind: FaultKind;
  /** When the dependency went away and came back (ms since the epoch). */
  from: number;
  until: number;
  detail: string;
}

export interface ChaosTargets {
  redis: RedisServer;
  /** Connects as a superuser-capable role to the server holding `database`. */
  admin: Client;
  database: string;
  workers: WorkerProcess[];
  startWorker: () => WorkerProcess;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const between = (min: number, max: number) => min + Math.random() * (max - min);

export class Chaos {
  readonly faults: Fault[] = [];
  private stopped = false;
  private loop?: Promise<void>;

  constructor(
    private readonly targets: ChaosTargets,
    private readonly everyMs: [number, number] = [3000, 10_000],
  ) {}

  start(): void {
    this.loop = this.run();
  }

  /** Ends the loop after the fault in progress; every dependency is up again when it resolves. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /**
   * Whether a request in flight from `sentAt` to `at` overlapped an outage of Redis or PostgreSQL (or the few seconds
   * after it, while clients reconnect), when a 503 is the right answer. The whole interval counts: on a loaded machine
   * a request sent during an outage can be answered well after it.
   */
  dependencyDown(sentAt: number, at: number, graceMs = 5000): boolean {
    return this.faults.some((f) => f.kind !== 'worker_kill' && at >= f.from - 500 && sentAt <= f.until + graceMs);
  }

  /** How far `at` is from the nearest outage of Redis or PostgreSQL, in ms (for the report of an unexplained 503). */
  distanceToOutage(at: number): number | undefined {
    const gaps = this.faults.filter((f) => f.kind !== 'worker_kill').map((f) => (at < f.from ? f.from - at : Math.max(0, at - f.until)));
    return gaps.length ? Math.min(...gaps) : undefined;
  }

  private async run(): Promise<void> {
    const kinds: FaultKind[] = ['redis_restart', 'postgres_kill', 'worker_kill'];
    let turn = 0;
    while (!this.stopped) {
      await this.sleepUnlessStopped(between(...this.everyMs));
      if (this.stopped) break;
      // Each kind in turn, Redis first: a short run still sees all three.
      const kind = kinds[turn++ % kinds.length];
      this.faults.push(await this.inject(kind));
    }
  }

  private async sleepUnlessStopped(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (!this.stopped && Date.now() < until) await sleep(Math.min(250, until - Date.now()));
  }

  private async inject(kind: FaultKind): Promise<Fault> {
    const from = Date.now();
    switch (kind) {
      case 'redis_restart': {
        const downMs = Math.round(between(500, 3000));
        await this.targets.redis.kill();
        await sleep(downMs);
        await this.targets.redis.restart();
        return { kind, from, until: Date.now(), detail: `down ${downMs} ms, restarted empty` };
      }
      case 'postgres_kill': {
        const { rows } = await this.targets.admin.query<{ n: number }>(
          `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`,
          [this.targets.database],
        );
        return { kind, from, until: Date.now(), detail: `${rows[0].n} backends terminated` };
      }
      case 'worker_kill': {
        const { workers } = this.targets;
        const index = Math.floor(Math.random() * workers.length);
        const victim = workers[index];
        victim.child.kill('SIGKILL');
        await victim.exited;
        const downMs = Math.round(between(200, 2000));
        await sleep(downMs);
        const next = this.targets.startWorker();
        workers[index] = next;
        await untilRunning(next, 90_000);
        return { kind, from, until: Date.now(), detail: `pid ${victim.child.pid} killed, replaced after ${downMs} ms` };
      }
    }
  }
}
