import { Entity, EntityRepositoryType, Enum, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Ref, Unique } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { Post } from '@/modules/posts/entities/post.entity';
import { User } from '@/modules/users/entities/user.entity';
import { PostUnlocksRepository } from '../repositories/post-unlocks.repository';

/** `disputed`: the buyer opened a chargeback; access is revoked until Stripe closes it in our favour. */
export const POST_UNLOCK_STATUSES = ['paid', 'refunded', 'disputed'] as const;
export type PostUnlockStatus = (typeof POST_UNLOCK_STATUSES)[number];

/** `user` bought pay-per-view access to `post`. */
@Entity({ tableName: 'post_unlocks', repository: () => PostUnlocksRepository })
// Deleting a post checks its purchases (foreign key, no action): by post id, for account erasure.
@Index({ name: 'post_unlocks_post_idx', expression: 'create index "post_unlocks_post_idx" on "post_unlocks" ("post_id")' })
@Unique({ name: 'post_unlocks_user_id_post_id_unique', properties: ['user', 'post'] })
@Index({ name: 'post_unlocks_stripe_payment_intent_id_index', properties: ['stripePaymentIntentId'] })
export class PostUnlock {
  [EntityRepositoryType]?: PostUnlocksRepository;
  [OptionalProps]?: 'id' | 'currency' | 'status' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  @ManyToOne(() => User, { ref: true })
  user: Ref<User>;

  @ManyToOne(() => Post, { ref: true })
  post: Ref<Post>;

  @Property({ type: 'integer' })
  priceCents: number;

  @Property({ type: 'string', length: 3, default: 'usd' })
  currency: string = 'usd';

  @Enum({ items: [...POST_UNLOCK_STATUSES], columnType: 'varchar(20)', default: 'paid' })
  status: PostUnlockStatus = 'paid';

  @Property({ type: 'string', length: 255, nullable: true, unique: 'post_unlocks_stripe_checkout_session_id_unique' })
  stripeCheckoutSessionId?: string | null;

  @Property({ type: 'string', length: 255, nullable: true })
  stripePaymentIntentId?: string | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  refundedAt?: Date | null;
}
