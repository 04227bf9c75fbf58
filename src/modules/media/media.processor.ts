import { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Job } from 'bullmq';
import { CreateRequestContext, MikroORM } from '@mikro-orm/core';
import { JobHandlersRegistry } from '@/common/queue/job-handlers.registry';
import { JobName, JobPayloads, QueueName, workerOptions } from '@/common/queue/queue-names';
import { QueueService } from '@/common/queue/queue.service';
import { MediaCleanupService } from './media-cleanup.service';
import { MediaProcessingService } from './media-processing.service';

const CLEANUP_EVERY_MS = 60 * 60 * 1000;

/** Media processing and the hourly clean-up. Worker role only. */
@Processor(QueueName.Media, workerOptions(QueueName.Media))
export class MediaProcessor extends WorkerHost implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MediaProcessor.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly orm: MikroORM,
    private readonly processing: MediaProcessingService,
    private readonly cleanup: MediaCleanupService,
    private readonly queues: QueueService,
    registry: JobHandlersRegistry,
  ) {
    super();
    registry.register(JobName.ProcessMedia, JobName.CleanupMedia);
  }

  /**
   * Every worker asks for the clean-up at start and then hourly, under the job id of the current clock hour: however
   * many workers run, it runs once per hour. (Not a BullMQ job scheduler: its next run would wait as a delayed job
   * all the time, and "no delayed jobs" is how the tests and the dashboard tell that the queues are idle.)
   */
  onApplicationBootstrap(): void {
    const request = () => {
      const hour = Math.floor(Date.now() / CLEANUP_EVERY_MS);
      this.queues
        .enqueue(JobName.CleanupMedia, {}, { jobId: `cleanup-media-${hour}`, attempts: 1, removeOnComplete: 48, removeOnFail: 48 })
        .catch((error: Error) => this.logger.warn(`media clean-up not queued: ${error.message}`));
    };
    request();
    this.timer = setInterval(request, CLEANUP_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  @CreateRequestContext()
  async process(job: Job): Promise<unknown> {
    switch (job.name) {
      case JobName.ProcessMedia:
        return this.processMedia(job as Job<JobPayloads[JobName.ProcessMedia]>);
      case JobName.CleanupMedia:
        return this.cleanup.run();
      default:
        throw new Error(`unknown job ${job.name} on ${QueueName.Media}`);
    }
  }

  /** Transient failures (storage, database) retry with backoff; after the last attempt the media is `failed`. */
  private async processMedia(job: Job<JobPayloads[JobName.ProcessMedia]>): Promise<unknown> {
    try {
      return await this.processing.process(job.data.mediaId);
    } catch (error) {
      if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
        await this.processing.markFailed(job.data.mediaId, `processing failed after ${job.attemptsMade + 1} attempts: ${(error as Error).message}`);
      }
      throw error;
    }
  }
}
