import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { JobsOptions } from 'bullmq';
import { AppConfig } from '../config/app-config';
import { EventJob, JobName, QUEUE_SETTINGS, QueueName } from '../queue/queue-names';
import { QueueService } from '../queue/queue.service';
import { WorkerLoop } from '../workers/worker-loop';
import { OutboxEventsRepository, OutboxRow } from './outbox-events.repository';
import { OutboxSubscribers } from './outbox-subscribers';

const BATCH = 500;
const IDLE_MS = 250;
// Capped low: after an outage the relay must find Redis again within about a second (a retry costs one indexed query).
const MAX_BACKOFF_MS = 1000;
/** A Redis that does not take the batch in this long is treated as down; the batch is retried. */
const ENQUEUE_TIMEOUT_MS = 5000;
/** How often, at most, the relay looks for events to re-send (more often when OUTBOX_RESEND_AFTER is short). */
const RESEND_CHECK_MAX_MS = 30_000;
/** Handled events (and their receipts) are kept a week, for inspection, then deleted in bounded batches. */
const KEEP_HANDLED_MS = 7 * 24 * 60 * 60 * 1000;
const PRUNE_EVERY_MS = 60 * 60 * 1000;
const PRUNE_BATCH = 5000;

export function timeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`queue did not answer in ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

interface QueuedJob {
  name: JobName.DomainEvent;
  data: EventJob;
  opts: JobsOptions;
}

/**
 * Moves committed outbox events into their subscribers' queues, one job per event and subscriber, and sends again
 * those still without every receipt `OUTBOX_RESEND_AFTER` after they were sent (a Redis that restarted empty, a
 * failover that lost writes). Safe with any number of worker processes (`FOR UPDATE SKIP LOCKED`); the job id
 * `<event id>.<subscriber>` makes a send whose job is still in Redis a no-op. Redis down: the transaction rolls back
 * and the batch waits, nothing is lost.
 */
@Injectable()
export class OutboxRelayService extends WorkerLoop {
  private readonly logger = new Logger(OutboxRelayService.name);
  private failures = 0;
  private nextResendCheck = 0;
  private nextPrune = Date.now() + PRUNE_EVERY_MS;

  constructor(
    private readonly em: EntityManager,
    private readonly events: OutboxEventsRepository,
    private readonly subscribers: OutboxSubscribers,
    private readonly queues: QueueService,
    private readonly config: AppConfig,
  ) {
    super();
  }

  protected runsHere(): boolean {
    return this.config.runsWorkers;
  }

  protected async tick(): Promise<void> {
    try {
      let full = (await this.relayBatch()) === BATCH;
      if (Date.now() >= this.nextResendCheck) {
        // A full batch: more may wait (a Redis that lost a backlog), so look again on the next tick.
        const again = (await this.resendBatch()) === BATCH;
        if (!again) this.nextResendCheck = Date.now() + Math.min(RESEND_CHECK_MAX_MS, (this.config.outbox.resendAfterSeconds * 1000) / 2);
        full ||= again;
      }
      if (Date.now() >= this.nextPrune) {
        // A full batch: more is due, on the next tick; the hourly pace applies once caught up.
        const pruned = await this.events.deleteHandledBefore(new Date(Date.now() - KEEP_HANDLED_MS), PRUNE_BATCH);
        if (pruned < PRUNE_BATCH) this.nextPrune = Date.now() + PRUNE_EVERY_MS;
      }
      if (this.failures) this.logger.log('outbox relay recovered');
      this.failures = 0;
      this.schedule(full ? 0 : IDLE_MS);
    } catch (error) {
      if (!this.failures) this.logger.warn(`outbox relay paused: ${(error as Error).message}; retrying`);
      this.failures++;
      this.schedule(Math.min(MAX_BACKOFF_MS, IDLE_MS * 2 ** this.failures));
    }
  }

  /** Sends one batch of new events; answers how many events it moved. */
  async relayBatch(): Promise<number> {
    return this.em.fork().transactional(async (em: EntityManager) => {
      const rows = await this.events.lockPending(em, BATCH);
      await this.send(em, rows);
      return rows.length;
    });
  }

  /** Sends again one batch of events still unhandled `OUTBOX_RESEND_AFTER` after their last send; answers how many events it looked at. */
  async resendBatch(): Promise<number> {
    return this.em.fork().transactional(async (em: EntityManager) => {
      const rows = await this.events.lockUnhandled(em, this.config.outbox.resendAfterSeconds, BATCH);
      const jobs = await this.send(em, rows);
      if (jobs) this.logger.warn(`re-sent ${jobs} job(s) of events unhandled ${this.config.outbox.resendAfterSeconds} s after they were sent`);
      return rows.length;
    });
  }

  /** Queues a job for every subscriber without a receipt; events with none missing are marked handled. */
  private async send(em: EntityManager, rows: OutboxRow[]): Promise<number> {
    const byQueue = new Map<QueueName, QueuedJob[]>();
    const sent: string[] = [];
    const complete: string[] = [];
    for (const row of rows) {
      const subscribers = this.subscribers.subscribersOf(row.type);
      if (!subscribers.length) this.logger.warn(`outbox event ${row.id} of type ${row.type} has no subscriber: left unhandled`);
      const missing = subscribers.filter((s) => !row.handled.includes(s.name));
      (missing.length || !subscribers.length ? sent : complete).push(row.id);
      for (const subscriber of missing) {
        const settings = QUEUE_SETTINGS[subscriber.queue];
        const data: EventJob = { id: row.id, type: row.type, payload: row.payload as EventJob['payload'], createdAt: new Date(row.created_at).toISOString(), subscriber: subscriber.name };
        const jobs = byQueue.get(subscriber.queue) ?? [];
        jobs.push({
          name: JobName.DomainEvent,
          data,
          opts: {
            jobId: `${row.id}.${subscriber.name}`,
            attempts: settings.attempts,
            backoff: { type: 'exponential', delay: settings.backoffMs },
            removeOnComplete: settings.keepCompleted,
            removeOnFail: settings.keepFailed,
          },
        });
        byQueue.set(subscriber.queue, jobs);
      }
    }
    if (byQueue.size) await timeout(Promise.all([...byQueue].map(([queue, jobs]) => this.queues.queue(queue).addBulk(jobs))), ENQUEUE_TIMEOUT_MS);
    await this.events.markSent(em, sent);
    await this.events.markHandled(em, complete);
    return [...byQueue.values()].reduce((sum, jobs) => sum + jobs.length, 0);
  }

  /** Seconds since the oldest event still waiting to be sent (0 when none): the relay's lag. */
  lagSeconds(): Promise<number> {
    return this.events.lagSeconds();
  }

  /** Age of the oldest event sent but not yet handled by every subscriber (0 when none). */
  unhandledSeconds(): Promise<number> {
    return this.events.unhandledSeconds();
  }
}
