import { Injectable, Logger } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { OutboxRelayService } from '@/common/outbox/outbox-relay.service';
import { QueueService } from '@/common/queue/queue.service';

/** The job states `bullmq_queue_jobs` reports, read from every queue at scrape time. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
export type JobOutcome = 'completed' | 'failed';

/** A scrape must not hang on a Redis or PostgreSQL that does not answer; the gauge is left out instead. */
const COLLECT_TIMEOUT_MS = 2000;
/** Fastify has no route pattern for a 404: one label for all of them, never the raw URL. */
const UNMATCHED_ROUTE = 'unmatched';

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer in ${COLLECT_TIMEOUT_MS} ms`)), COLLECT_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * The Prometheus registry of this process. Its own `Registry`, not prom-client's global one, so several apps
 * in one process (tests) do not collide. Queue depths and the outbox lag are read on each scrape.
 */
@Injectable()
export class MetricsService {
  private readonly logger = new Logger(MetricsService.name);
  private readonly registry = new Registry();
  private readonly failing = new Set<string>();

  private readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  private readonly jobDuration = new Histogram({
    name: 'bullmq_job_duration_seconds',
    help: 'Processing time of finished BullMQ jobs (last attempt), by queue, job name and outcome',
    labelNames: ['queue', 'name', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });

  private readonly jobsTotal = new Counter({
    name: 'bullmq_jobs_total',
    help: 'BullMQ jobs finished, by queue, job name and outcome (failed: attempts exhausted)',
    labelNames: ['queue', 'name', 'outcome'] as const,
    registers: [this.registry],
  });

  constructor(
    private readonly queues: QueueService,
    private readonly outbox: OutboxRelayService,
  ) {
    collectDefaultMetrics({ register: this.registry });
    const queueJobs: Gauge<'queue' | 'state'> = new Gauge({
      name: 'bullmq_queue_jobs',
      help: 'Jobs in each BullMQ queue, by state',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      collect: () => this.collect(queueJobs, 'queue counts', () => this.collectQueues(queueJobs)),
    });
    const outboxLag: Gauge = new Gauge({
      name: 'outbox_lag_seconds',
      help: 'Age of the oldest outbox event not yet relayed to the queues (0 when none waits)',
      registers: [this.registry],
      collect: () => this.collect(outboxLag, 'outbox lag', async () => outboxLag.set(await this.outbox.lagSeconds())),
    });
    const outboxUnhandled: Gauge = new Gauge({
      name: 'outbox_unhandled_seconds',
      help: 'Age of the oldest outbox event sent to the queues but not yet handled by every subscriber (0 when none)',
      registers: [this.registry],
      collect: () => this.collect(outboxUnhandled, 'outbox unhandled', async () => outboxUnhandled.set(await this.outbox.unhandledSeconds())),
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  observeHttp(method: string, route: string | undefined, statusCode: number, seconds: number): void {
    this.httpDuration.observe({ method, route: route || UNMATCHED_ROUTE, status_code: String(statusCode) }, seconds);
  }

  recordJob(queue: string, name: string, outcome: JobOutcome, seconds: number | undefined): void {
    this.jobsTotal.inc({ queue, name, outcome });
    if (seconds !== undefined && seconds >= 0) this.jobDuration.observe({ queue, name, outcome }, seconds);
  }

  private async collectQueues(gauge: Gauge<'queue' | 'state'>): Promise<void> {
    const counts = await Promise.all(this.queues.all().map(async (queue) => ({ queue, counts: await queue.getJobCounts(...QUEUE_STATES) })));
    for (const { queue, counts: byState } of counts) {
      for (const state of QUEUE_STATES) gauge.set({ queue: queue.name, state }, byState[state] ?? 0);
    }
  }

  /** Runs a collector with a deadline; on failure the gauge is emptied (no stale value) and the outage logged once. */
  private async collect(gauge: Gauge<string>, what: string, read: () => Promise<void>): Promise<void> {
    try {
      await withTimeout(read(), what);
      if (this.failing.delete(what)) this.logger.log(`metrics: ${what} readable again`);
    } catch (error) {
      gauge.reset();
      if (!this.failing.has(what)) this.logger.warn(`metrics: ${what} left out: ${(error as Error).message}`);
      this.failing.add(what);
    }
  }
}
