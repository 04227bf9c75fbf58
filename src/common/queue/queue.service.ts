import { Injectable, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getQueueToken } from '@nestjs/bullmq';
import { JobsOptions, Queue } from 'bullmq';
import { guardLateErrors } from './late-errors';
import { DirectJob, JOB_QUEUE, JobPayloads, QUEUE_SETTINGS, QueueName } from './queue-names';

/** Type-checked enqueueing with each queue's retry and retention policy. Every `QueueName` is registered. */
@Injectable()
export class QueueService implements OnModuleInit {
  private readonly queues = new Map<QueueName, Queue>();

  constructor(private readonly moduleRef: ModuleRef) {}

  onModuleInit(): void {
    for (const name of Object.values(QueueName)) {
      const queue = this.moduleRef.get<Queue>(getQueueToken(name), { strict: false });
      // Before anything can close it: see guardLateErrors.
      guardLateErrors(queue);
      this.queues.set(name, queue);
    }
  }

  queue(name: QueueName): Queue {
    return this.queues.get(name)!;
  }

  all(): Queue[] {
    return [...this.queues.values()];
  }

  /** Jobs that carry a user's data do not come here: they are outbox events (docs/events.md). */
  async enqueue<J extends DirectJob>(name: J, data: JobPayloads[J], options: JobsOptions = {}): Promise<void> {
    const queueName = JOB_QUEUE[name];
    const settings = QUEUE_SETTINGS[queueName];
    await this.queue(queueName).add(name, data, {
      attempts: settings.attempts,
      backoff: { type: 'exponential', delay: settings.backoffMs },
      removeOnComplete: settings.keepCompleted,
      removeOnFail: settings.keepFailed,
      ...options,
    });
  }
}
