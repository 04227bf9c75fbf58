import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { AppConfig } from '@/common/config/app-config';
import { guardLateErrors } from '@/common/queue/late-errors';
import { QueueService } from '@/common/queue/queue.service';
import { RedisService } from '@/common/redis/redis.service';
import { JobOutcome, MetricsService } from './metrics.service';

const START_TIMEOUT_MS = 2000;
const RETRY_MS = 5000;

/**
 * Job outcomes for `/metrics`, read from BullMQ's per-queue event stream in Redis (`QueueEvents`), not from
 * worker events: workers run in other processes (`APP_ROLE=worker` serves no HTTP), and the stream carries every
 * worker's completions to the API process that is scraped. The stream says `failed` only once attempts are
 * exhausted, so each job counts once. Every API process reads the whole stream: aggregate replicas with `max`.
 */
@Injectable()
export class JobMetricsListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(JobMetricsListener.name);
  private readonly listeners: QueueEvents[] = [];
  private readonly retries = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly queues: QueueService,
    private readonly metrics: MetricsService,
    private readonly redis: RedisService,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.runsApi) return;
    await Promise.all(this.queues.all().map((queue) => this.start(queue)));
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const timer of this.retries.values()) clearTimeout(timer);
    await Promise.allSettled(this.listeners.map((listener) => listener.close()));
  }

  /**
   * Starts reading a queue's stream once Redis answers. Not before: a stream reader created while Redis is down
   * cannot be closed until it connects, which would hold up shutdown.
   */
  private async start(queue: Queue): Promise<void> {
    const lastEventId = this.redis.client.status === 'ready' ? await this.newestEventId(queue) : undefined;
    if (this.stopped) return;
    if (lastEventId === undefined) {
      this.retries.set(queue.name, setTimeout(() => void this.start(queue), RETRY_MS).unref());
      return;
    }
    this.retries.delete(queue.name);
    this.listeners.push(this.listen(queue, lastEventId));
  }

  private listen(queue: Queue, lastEventId: string): QueueEvents {
    const events = new QueueEvents(queue.name, { connection: queue.opts.connection, prefix: queue.opts.prefix, lastEventId });
    guardLateErrors(events);
    // One warning per outage: the stream reader retries on its own, and an event read means it is back.
    let down = false;
    events.on('error', (error: Error) => {
      if (!down) this.logger.warn(`job metrics for ${queue.name} paused: ${error.message}`);
      down = true;
    });
    const finished = (jobId: string, outcome: JobOutcome) => {
      down = false;
      void this.record(queue, jobId, outcome);
    };
    events.on('completed', ({ jobId }) => finished(jobId, 'completed'));
    events.on('failed', ({ jobId }) => finished(jobId, 'failed'));
    return events;
  }

  /**
   * The id of the stream's newest entry, so reading starts exactly there (`$` would miss what finishes between
   * connecting and the first blocking read); undefined when Redis does not answer in time.
   */
  private async newestEventId(queue: Queue): Promise<string | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const read = (async () => ((await queue.client) as unknown as Redis).xrevrange(queue.keys.events, '+', '-', 'COUNT', 1))();
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), START_TIMEOUT_MS);
      });
      const [newest] = await Promise.race([read, timeout]);
      return newest?.[0] ?? '0-0';
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  private async record(queue: Queue, jobId: string, outcome: JobOutcome): Promise<void> {
    try {
      const client = await queue.client;
      const [name, processedOn, finishedOn] = await client.hmget(queue.toKey(jobId), 'name', 'processedOn', 'finishedOn');
      // A job removed on completion leaves no hash: it still counts, without a name or duration.
      const seconds = processedOn && finishedOn ? (Number(finishedOn) - Number(processedOn)) / 1000 : undefined;
      this.metrics.recordJob(queue.name, name ?? 'unknown', outcome, seconds);
    } catch (error) {
      this.logger.warn(`job metrics: ${queue.name} job ${jobId} not recorded: ${(error as Error).message}`);
    }
  }
}
