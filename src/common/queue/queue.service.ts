import { Injectable } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { JobsOptions, Queue } from 'bullmq';
import { JOB_QUEUE, JobName, JobPayloads, QUEUE_SETTINGS, QueueName } from './queue-names';

/** Type-checked enqueueing with each queue's retry and retention policy. */
@Injectable()
export class QueueService {
  private readonly queues: Record<QueueName, Queue>;

  constructor(
    @InjectQueue(QueueName.Events) events: Queue,
    @InjectQueue(QueueName.Notifications) notifications: Queue,
  ) {
    this.queues = { [QueueName.Events]: events, [QueueName.Notifications]: notifications };
  }

  queue(name: QueueName): Queue {
    return this.queues[name];
  }

  all(): Queue[] {
    return Object.values(this.queues);
  }

  async enqueue<J extends JobName>(name: J, data: JobPayloads[J], options: JobsOptions = {}): Promise<void> {
    const queueName = JOB_QUEUE[name];
    const settings = QUEUE_SETTINGS[queueName];
    await this.queues[queueName].add(name, data, {
      attempts: settings.attempts,
      backoff: { type: 'exponential', delay: settings.backoffMs },
      removeOnComplete: settings.keepCompleted,
      removeOnFail: settings.keepFailed,
      ...options,
    });
  }
}
