import { Type } from '@nestjs/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Job } from 'bullmq';
import { EventJob, JobName, QueueName, workerOptions } from '../queue/queue-names';
import { OutboxDispatcher } from './outbox-dispatcher';
import { OutboxSubscribers } from './outbox-subscribers';

/** One class per queue: the same provider token wherever it is asked for (`app.get(outboxProcessor(queue))`). */
const processors = new Map<QueueName, Type<WorkerHost>>();

/**
 * The processor of a queue that carries only outbox events: each job goes to `OutboxDispatcher`. A module whose
 * subscribers run on such a queue provides it in the worker role (a queue that also has direct jobs, like `media`,
 * calls the dispatcher from its own processor instead).
 */
export function outboxProcessor(queue: QueueName): Type<WorkerHost> {
  const made = processors.get(queue);
  if (made) return made;
  @Processor(queue, workerOptions(queue))
  class OutboxEventsProcessor extends WorkerHost {
    constructor(
      private readonly dispatcher: OutboxDispatcher,
      subscribers: OutboxSubscribers,
    ) {
      super();
      subscribers.serve(queue);
    }

    async process(job: Job): Promise<unknown> {
      if (job.name !== JobName.DomainEvent) throw new Error(`unknown job ${job.name} on ${queue}`);
      return this.dispatcher.dispatch(job as Job<EventJob>);
    }
  }
  Object.defineProperty(OutboxEventsProcessor, 'name', { value: `OutboxEventsProcessor(${queue})` });
  processors.set(queue, OutboxEventsProcessor);
  return OutboxEventsProcessor;
}
