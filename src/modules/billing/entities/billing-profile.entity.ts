import { Entity, EntityRepositoryType, Index, OneToOne, OptionalProps, Property, Ref } from '@mikro-orm/core';
import { User } from '@/modules/users/entities/user.entity';
import { BillingProfilesRepository } from '../repositories/billing-profiles.repository';

/**
 * A user's references at Stripe, billing's own: the customer they pay as (created at their first checkout), and as a
 * creator the product of their subscriptions and the price of their current amount. One row per user, created by
 * the first of these; the `users` row knows none of them (migration 20261207200000 moved them here).
 */
@Entity({ tableName: 'billing_profiles', repository: () => BillingProfilesRepository })
// The webhook finds the creator of a subscription by its product when the metadata does not name them.
@Index({ name: 'billing_profiles_stripe_product_id_idx', properties: ['stripeProductId'] })
export class BillingProfile {
  [EntityRepositoryType]?: BillingProfilesRepository;
  [OptionalProps]?: 'createdAt' | 'updatedAt';

  @OneToOne(() => User, { primary: true, ref: true, owner: true, deleteRule: 'cascade' })
  user: Ref<User>;

  @Property({ type: 'string', length: 255, nullable: true, unique: 'billing_profiles_stripe_customer_id_unique' })
  stripeCustomerId?: string | null;

  @Property({ type: 'string', length: 255, nullable: true })
  stripeProductId?: string | null;

  @Property({ type: 'string', length: 255, nullable: true })
  stripePriceId?: string | null;

  /** The monthly amount `stripePriceId` charges: the price is the creator's current one only while it equals theirs. */
  @Property({ type: 'integer', nullable: true })
  stripePriceCents?: number | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
