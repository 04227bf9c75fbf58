import { Entity, EntityRepositoryType, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Ref } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { User } from '@/modules/users/entities/user.entity';
import { ReferralsRepository } from '../repositories/referrals.repository';
import { ReferralCode } from './referral-code.entity';

/** `referredUser` registered with `referrer`'s `referralCode`; a user is referred at most once. */
@Entity({ tableName: 'referrals', repository: () => ReferralsRepository })
@Index({
  name: 'referrals_referrer_created_idx',
  expression: 'create index "referrals_referrer_created_idx" on "referrals" ("referrer_id", "created_at" desc, "id" desc)',
})
export class Referral {
  [EntityRepositoryType]?: ReferralsRepository;
  [OptionalProps]?: 'id' | 'createdAt' | 'rewardsFrom' | 'earnedCents';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  @ManyToOne(() => ReferralCode, { ref: true, deleteRule: 'cascade' })
  referralCode: Ref<ReferralCode>;

  @ManyToOne(() => User, { ref: true, deleteRule: 'cascade' })
  referrer: Ref<User>;

  @ManyToOne(() => User, { ref: true, deleteRule: 'cascade', unique: 'referrals_referred_user_id_unique' })
  referredUser: Ref<User>;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  /** The referred creator's first payment (the earliest seen): the referrer earns shares for 12 months from it. */
  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  rewardsFrom?: Date | null;

  /** What the referrer earned from this referral so far, net of reversals (billing keeps it with its ledger). */
  @Property({ type: 'integer', default: 0 })
  earnedCents: number = 0;
}
