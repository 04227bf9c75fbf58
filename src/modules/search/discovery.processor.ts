import { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Job } from 'bullmq';
import { CreateRequestContext, MikroORM } from '@mikro-orm/core';
import { JobHandlersRegistry } from '@/common/queue/job-handlers.registry';
import { JobName, JobPayloads, QueueName, workerOptions } from '@/common/queue/queue-names';
import { QueueService } from '@/common/queue/queue.service';
import { DiscoveryRefreshService } from './discovery-refresh.service';

/** `GET /tags/trending` promises data at most a minute old: refreshed every 30 s, so a missed slot still keeps it. */
export const DISCOVERY_EVERY_MS = 30_000;
/** Exact hashtag counts for search are a heavier pass (docs/search.md): hourly, and at start. */
const STATS_EVERY_SLOTS = 120;

/** The discovery refresh. Worker role only. */
@Processor(QueueName.Discovery, workerOptions(QueueName.Discovery))
export class DiscoveryProcessor extends WorkerHost implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DiscoveryProcessor.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly orm: MikroORM,
    private readonly refresher: DiscoveryRefreshService,
    private readonly queues: QueueService,
    registry: JobHandlersRegistry,
  ) {
    super();
    registry.register(JobName.RefreshDiscovery);
  }

  /**
   * Every worker asks for the refresh at start and then every 30 s under the job id of the current slot, so however
   * many workers run it runs once per slot (the media clean-up's scheme: no delayed job waits in the queue).
   */
  onApplicationBootstrap(): void {
    let first = true;
    const request = () => {
      const slot = Math.floor(Date.now() / DISCOVERY_EVERY_MS);
      const withStats = first || slot % STATS_EVERY_SLOTS === 0;
      first = false;
      this.queues
        .enqueue(JobName.RefreshDiscovery, { withStats }, { jobId: `refresh-discovery-${slot}` })
        .catch((error: Error) => this.logger.warn(`discovery refresh not queued: ${error.message}`));
    };
    request();
    this.timer = setInterval(request, DISCOVERY_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  @CreateRequestContext()
  async process(job: Job): Promise<unknown> {
    switch (job.name) {
      case JobName.RefreshDiscovery:
        return this.refresher.refresh(job.data as JobPayloads[JobName.RefreshDiscovery]);
      default:
        throw new Error(`unknown job ${job.name} on ${QueueName.Discovery}`);
    }
  }
}
