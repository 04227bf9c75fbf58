import { Injectable } from '@nestjs/common';
import { RequestContext } from '@mikro-orm/core';
import { EntityManager } from '@mikro-orm/postgresql';
import { Job } from 'bullmq';
import { EventJob } from '../queue/queue-names';
import { DomainEvent } from './domain-events';
import { EventContext } from './on-domain-event.decorator';
import { OutboxEventsRepository } from './outbox-events.repository';
import { OutboxSubscribers } from './outbox-subscribers';

/** Thrown inside a handler's transaction when another delivery committed the receipt first. */
class AlreadyHandled extends Error {}

export type DispatchOutcome = 'handled' | 'already handled';

/**
 * Runs one event job: its subscriber's handler, in a MikroORM context of its own, with the receipt committed in the
 * handler's transaction. A delivery that finds the receipt does nothing, so retries and re-sends are harmless even
 * for a handler whose effect is not idempotent by itself.
 */
@Injectable()
export class OutboxDispatcher {
  constructor(
    private readonly em: EntityManager,
    private readonly subscribers: OutboxSubscribers,
    private readonly events: OutboxEventsRepository,
  ) {}

  async dispatch(job: Job<EventJob>): Promise<DispatchOutcome> {
    const { id, type, payload, subscriber: name } = job.data;
    const subscriber = this.subscribers.get(type, name);
    if (!subscriber) throw new Error(`no subscriber "${name}" for ${type}: renamed or removed since the event was sent`);
    const everyone = this.subscribers.subscribersOf(type).map((s) => s.name);
    return RequestContext.create(this.em, async () => {
      if (await this.events.hasReceipt(id, name)) return 'already handled';
      let committed = false;
      const context: EventContext = {
        eventId: id,
        lastAttempt: job.attemptsMade + 1 >= (job.opts.attempts ?? 1),
        transaction: async (work) => {
          if (committed) throw new Error(`${name} committed ${type} ${id} twice: one transaction per delivery`);
          const result = await this.em.transactional(async (em: EntityManager) => {
            if (!(await this.events.insertReceipt(em, id, name))) throw new AlreadyHandled();
            const done = await work(em);
            await this.events.markHandledIfComplete(em, id, everyone);
            return done;
          });
          committed = true;
          return result;
        },
      };
      try {
        await subscriber.handle({ type, payload } as DomainEvent, context);
        if (!committed) await context.transaction(async () => undefined);
        return 'handled';
      } catch (error) {
        if (error instanceof AlreadyHandled) return 'already handled';
        throw error;
      }
    });
  }
}
