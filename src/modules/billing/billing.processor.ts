import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Job } from 'bullmq';
import { CreateRequestContext, MikroORM } from '@mikro-orm/core';
import { JobHandlersRegistry } from '@/common/queue/job-handlers.registry';
import { JobName, JobPayloads, QueueName, workerOptions } from '@/common/queue/queue-names';
import { StripeEventApplier } from './stripe-event-applier.service';

/** Stored Stripe webhook events, applied to subscriptions and unlocks. */
@Processor(QueueName.Billing, workerOptions(QueueName.Billing))
export class BillingProcessor extends WorkerHost {
  constructor(
    private readonly orm: MikroORM,
    private readonly applier: StripeEventApplier,
    registry: JobHandlersRegistry,
  ) {
    super();
    registry.register(JobName.ApplyStripeEvent);
  }

  @CreateRequestContext()
  async process(job: Job): Promise<unknown> {
    switch (job.name) {
      case JobName.ApplyStripeEvent:
        return this.applier.apply((job.data as JobPayloads[JobName.ApplyStripeEvent]).stripeEventId);
      default:
        throw new Error(`unknown job ${job.name} on ${QueueName.Billing}`);
    }
  }
}
