import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Job } from 'bullmq';
import { CreateRequestContext, MikroORM } from '@mikro-orm/core';
import { JobHandlersRegistry } from '@/common/queue/job-handlers.registry';
import { DomainEventHandlers } from '@/common/outbox/domain-event-handlers';
import { DomainEvents } from '@/common/outbox/domain-events';
import { JobName, JobPayloads, QueueName, workerOptions } from '@/common/queue/queue-names';
import { MediaService } from '@/modules/media/media.service';
import { NotificationsService } from './notifications.service';

/** Domain events relayed from the outbox. Each handler is idempotent, so a retried or redelivered event is harmless. */
@Processor(QueueName.Events, workerOptions(QueueName.Events))
export class EventsProcessor extends WorkerHost {
  constructor(
    private readonly orm: MikroORM,
    private readonly notifications: NotificationsService,
    registry: JobHandlersRegistry,
    private readonly media: MediaService,
    private readonly handlers: DomainEventHandlers,
  ) {
    super();
    registry.register(JobName.DomainEvent);
  }

  @CreateRequestContext()
  async process(job: Job): Promise<unknown> {
    switch (job.name) {
      case JobName.DomainEvent: {
        const event = job.data as JobPayloads[JobName.DomainEvent];
        // Events whose feature registered its own handler (mail, account lifecycle).
        const handler = this.handlers.handlerFor(event.type);
        if (handler) return handler(event.payload, event.id);
        // Media's own event: an upload committed, its processing is queued.
        if (event.type === 'media.uploaded') return this.media.onUploaded(event.payload as DomainEvents['media.uploaded']);
        return this.notifications.handle(event);
      }
      default:
        throw new Error(`unknown job ${job.name} on ${QueueName.Events}`);
    }
  }
}

/** Batched notification work: the subscriber fan-out of premium posts. */
@Processor(QueueName.Notifications, workerOptions(QueueName.Notifications))
export class NotificationsProcessor extends WorkerHost {
  constructor(
    private readonly orm: MikroORM,
    private readonly notifications: NotificationsService,
    registry: JobHandlersRegistry,
  ) {
    super();
    registry.register(JobName.FanOutSubscribedPost);
  }

  @CreateRequestContext()
  async process(job: Job): Promise<unknown> {
    switch (job.name) {
      case JobName.FanOutSubscribedPost:
        return this.notifications.fanOutBatch(job.data as JobPayloads[JobName.FanOutSubscribedPost]);
      default:
        throw new Error(`unknown job ${job.name} on ${QueueName.Notifications}`);
    }
  }
}
