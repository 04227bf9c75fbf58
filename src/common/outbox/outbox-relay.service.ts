import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AppConfig } from '../config/app-config';
import { JobName, QUEUE_SETTINGS, QueueName, RelayedEvent } from '../queue/queue-names';
import { QueueService } from '../queue/queue.service';

const BATCH = 500;
const IDLE_MS = 250;
// Capped low: after an outage the relay must find Redis again within about a second (a retry costs one indexed query).
const MAX_BACKOFF_MS = 1000;
/** A Redis that does not take the batch in this long is treated as down; the batch is retried. */
const ENQUEUE_TIMEOUT_MS = 5000;

export function timeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`queue did not answer in ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Moves committed outbox events into the events queue. Safe with any number of worker processes
 * (`FOR UPDATE SKIP LOCKED`); the outbox id is the job id, so an event relayed twice (crash between enqueue
 * and commit) is queued once. Redis down: the transaction rolls back and the batch waits, nothing is lost.
 */
@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(OutboxRelayService.name);
  private running = false;
  private current: Promise<unknown> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private failures = 0;

  constructor(
    private readonly em: EntityManager,
    private readonly queues: QueueService,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.runsWorkers) return;
    this.running = true;
    this.schedule(0);
  }

  /** Before, not on, application shutdown: MikroORM closes its pool then, and a batch started after that waits 60 s for a connection. */
  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.current.catch(() => undefined);
  }

  private schedule(delay: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.current = this.tick();
    }, delay);
  }

  private async tick(): Promise<void> {
    try {
      const relayed = await this.relayBatch();
      if (this.failures) this.logger.log('outbox relay recovered');
      this.failures = 0;
      this.schedule(relayed === BATCH ? 0 : IDLE_MS);
    } catch (error) {
      if (!this.failures) this.logger.warn(`outbox relay paused: ${(error as Error).message}; retrying`);
      this.failures++;
      this.schedule(Math.min(MAX_BACKOFF_MS, IDLE_MS * 2 ** this.failures));
    }
  }

  /** Relays one batch; answers how many events it moved. */
  async relayBatch(): Promise<number> {
    return this.em.fork().transactional(async (em: EntityManager) => {
      const rows = await em.execute<{ id: string; type: RelayedEvent['type']; payload: RelayedEvent['payload']; created_at: Date }[]>(
        'select id, type, payload, created_at from outbox_events where dispatched_at is null order by id limit ? for update skip locked',
        [BATCH],
      );
      if (!rows.length) return 0;
      const settings = QUEUE_SETTINGS[QueueName.Events];
      await timeout(
        this.queues.queue(QueueName.Events).addBulk(
          rows.map((row) => ({
            name: JobName.DomainEvent,
            data: { id: row.id, type: row.type, payload: row.payload, createdAt: new Date(row.created_at).toISOString() } as RelayedEvent,
            opts: {
              jobId: row.id,
              attempts: settings.attempts,
              backoff: { type: 'exponential', delay: settings.backoffMs },
              removeOnComplete: settings.keepCompleted,
              removeOnFail: settings.keepFailed,
            },
          })),
        ),
        ENQUEUE_TIMEOUT_MS,
      );
      await em.execute('update outbox_events set dispatched_at = now(), attempts = attempts + 1 where id in (?)', [rows.map((r) => r.id)]);
      return rows.length;
    });
  }

  /** Seconds since the oldest event still waiting (0 when none): the relay's lag. */
  async lagSeconds(): Promise<number> {
    const [row] = await this.em.fork().execute<{ lag: number | null }[]>(
      'select extract(epoch from now() - min(created_at)) as lag from outbox_events where dispatched_at is null',
    );
    return Number(row?.lag ?? 0);
  }
}
