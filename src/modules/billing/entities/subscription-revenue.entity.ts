import { Entity, ManyToOne, PrimaryKey, Property, Ref } from '@mikro-orm/core';
import { User } from '@/modules/users/entities/user.entity';

/**
 * Per creator and currency: how many subscriptions are `active` or `trialing`, and the sum of their monthly prices.
 * Kept by statement triggers on `subscriptions` (every insert, update and delete, whoever writes), so MRR does not scan a big
 * creator's subscriptions; `past_due` ones inside the grace period, which leave access by the clock rather than by a
 * write, are added at read time (docs/billing.md#earnings).
 */
@Entity({ tableName: 'subscription_revenue' })
export class SubscriptionRevenue {
  @ManyToOne(() => User, { ref: true, primary: true })
  creator: Ref<User>;

  @PrimaryKey({ type: 'string', length: 3 })
  currency: string;

  @Property({ type: 'integer', default: 0 })
  subscribers: number;

  @Property({ type: 'bigint', default: 0 }) // read through SQL only: int8 arrives as a string
  monthlyCents: string;
}
