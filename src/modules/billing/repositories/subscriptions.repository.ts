import { EntityRepository } from '@mikro-orm/postgresql';
import { Subscription } from '../entities/subscription.entity';

export class SubscriptionsRepository extends EntityRepository<Subscription> {
  /** The creators among `creatorIds` whose content `subscriberId` may see (see EntitlementsService for the rule). */
  async creatorsWithAccess(subscriberId: string, creatorIds: string[], graceDays: number): Promise<Set<string>> {
    if (!creatorIds.length) return new Set();
    const rows = await this.getEntityManager().execute<{ creator_id: string }[]>(
      `select creator_id from subscriptions
        where subscriber_id = ? and creator_id in (?)
          and (status in ('active', 'trialing')
               or (status = 'past_due' and current_period_end + make_interval(days => ?) > now()))`,
      [subscriberId, creatorIds, graceDays],
    );
    return new Set(rows.map((r) => r.creator_id));
  }
}
