import { EntityRepository } from '@mikro-orm/postgresql';
import { StripeEvent } from '../entities/stripe-event.entity';

export class StripeEventsRepository extends EntityRepository<StripeEvent> {
  findByStripeEventId(stripeEventId: string): Promise<StripeEvent | null> {
    return this.findOne({ stripeEventId });
  }
}
