import { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Job } from 'bullmq';
import { CreateRequestContext, MikroORM } from '@mikro-orm/core';
import { OutboxDispatcher } from '@/common/outbox/outbox-dispatcher';
import { OutboxSubscribers } from '@/common/outbox/outbox-subscribers';
import { JobHandlersRegistry } from '@/common/queue/job-handlers.registry';
import { EventJob, JobName, QueueName, workerOptions } from '@/common/queue/queue-names';
import { QueueService } from '@/common/queue/queue.service';
import { MediaCleanupService } from './media-cleanup.service';

const CLEANUP_EVERY_MS = 60 * 60 * 1000;

/** Upload processing (the `media.uploaded` events of `MediaProcessingService`) and the hourly clean-up. Worker role only. */
@Processor(QueueName.Media, workerOptions(QueueName.Media))
export class MediaProcessor extends WorkerHost implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MediaProcessor.name);
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly orm: MikroORM,
    private readonly dispatcher: OutboxDispatcher,
    private readonly cleanup: MediaCleanupService,
    private readonly queues: QueueService,
    registry: JobHandlersRegistry,
    subscribers: OutboxSubscribers,
  ) {
    super();
    registry.register(JobName.CleanupMedia);
    subscribers.serve(QueueName.Media);
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
      case JobName.DomainEvent:
        return this.dispatcher.dispatch(job as Job<EventJob>);
      case JobName.CleanupMedia:
        return this.cleanup.run();
      default:
        throw new Error(`unknown job ${job.name} on ${QueueName.Media}`);
    }
  }
}
