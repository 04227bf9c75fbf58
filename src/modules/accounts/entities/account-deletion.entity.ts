import { Entity, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * One deleted account's erasure, written with the deactivation. The worker records each finished step, so a crash
 * resumes where it stopped; `erased_at` marks the end. No foreign key: the row outlives nothing it points to.
 */
@Entity({ tableName: 'account_deletions' })
@Index({
  name: 'account_deletions_pending_idx',
  expression: 'create index "account_deletions_pending_idx" on "account_deletions" ("requested_at") where "erased_at" is null',
})
export class AccountDeletion {
  [OptionalProps]?: 'requestedAt';

  @PrimaryKey({ type: 'uuid' })
  userId: string;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  requestedAt: Date = new Date();

  /** Stripe subscriptions cancelled (as subscriber) and set to end (as creator). */
  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  stripeDoneAt?: Date | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  erasedAt?: Date | null;
}
