import { Check, Entity, EntityRepositoryType, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Ref } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { User } from '@/modules/users/entities/user.entity';
import { ReferralCodesRepository } from '../repositories/referral-codes.repository';

/** A code `user` hands out; `usesCount` never passes `maxUses`, which the database enforces too. */
@Entity({ tableName: 'referral_codes', repository: () => ReferralCodesRepository })
@Index({
  name: 'referral_codes_user_created_idx',
  expression: 'create index "referral_codes_user_created_idx" on "referral_codes" ("user_id", "created_at" desc)',
})
@Check({
  name: 'referral_codes_uses_check',
  expression: 'uses_count >= 0 and (max_uses is null or uses_count <= max_uses)',
})
export class ReferralCode {
  [EntityRepositoryType]?: ReferralCodesRepository;
  [OptionalProps]?: 'id' | 'usesCount' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  @ManyToOne(() => User, { ref: true, deleteRule: 'cascade' })
  user: Ref<User>;

  @Property({ type: 'string', length: 50, unique: 'referral_codes_code_unique' })
  code: string;

  @Property({ type: 'integer', default: 0 })
  usesCount: number = 0;

  /** Null: unlimited. */
  @Property({ type: 'integer', nullable: true })
  maxUses?: number | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  expiresAt?: Date | null;

  /** Set by `DELETE /referral-codes/:code`: the code stops working, its referrals stay. */
  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  deletedAt?: Date | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
