import { Entity, EntityRepositoryType, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Ref } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { User } from '@/modules/users/entities/user.entity';
import { PayoutAccountsRepository } from '../connect/payout-accounts.repository';

/**
 * A creator's Stripe Express account (Stripe Connect), where the money of their subscriptions and unlocks goes. The
 * flags mirror Stripe's account as last read by the webhook worker. A deauthorized account stays as a record
 * (`deauthorized_at`); the creator's next onboarding creates a new one, so a user has at most one live account.
 */
@Entity({ tableName: 'payout_accounts', repository: () => PayoutAccountsRepository })
@Index({
  name: 'payout_accounts_user_live_unique',
  expression: 'create unique index "payout_accounts_user_live_unique" on "payout_accounts" ("user_id") where "deauthorized_at" is null',
})
// GET /me/payouts: the user's newest account, live or not.
@Index({ name: 'payout_accounts_user_created_idx', properties: ['user', 'createdAt'] })
export class PayoutAccount {
  [EntityRepositoryType]?: PayoutAccountsRepository;
  [OptionalProps]?: 'id' | 'chargesEnabled' | 'payoutsEnabled' | 'detailsSubmitted' | 'createdAt' | 'updatedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  @ManyToOne(() => User, { ref: true })
  user: Ref<User>;

  @Property({ type: 'string', length: 255, unique: 'payout_accounts_stripe_account_id_unique' })
  stripeAccountId: string;

  @Property({ type: 'boolean', default: false })
  chargesEnabled: boolean = false;

  @Property({ type: 'boolean', default: false })
  payoutsEnabled: boolean = false;

  @Property({ type: 'boolean', default: false })
  detailsSubmitted: boolean = false;

  /** Stripe's `requirements.currently_due`: what the creator still has to provide. */
  @Property({ type: 'json' })
  requirementsDue: string[];

  /** The database clock when Stripe's state was read: only a later read overwrites it. */
  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  stripeStateAt?: Date | null;

  /** `account.application.deauthorized`: the creator disconnected; nothing is routed here any more. */
  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  deauthorizedAt?: Date | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
