import { Check, Entity, EntityRepositoryType, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Ref, Unique } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { User } from '@/modules/users/entities/user.entity';
import { FollowsRepository } from '../repositories/follows.repository';

/** `follower` follows `following`. */
@Entity({ tableName: 'follows', repository: () => FollowsRepository })
@Unique({ name: 'follows_follower_id_following_id_unique', properties: ['follower', 'following'] })
@Index({ name: 'idx_follows_follower_id', properties: ['follower'] })
@Index({ name: 'idx_follows_following_id', properties: ['following'] })
// An account's followers in id order: the `followers` segment of mass messages, read in batches.
@Index({ name: 'follows_following_follower_idx', properties: ['following', 'follower'] })
@Index({
  name: 'follows_following_created_idx',
  expression: 'create index "follows_following_created_idx" on "follows" ("following_id", "created_at" desc, "id" desc)',
})
@Index({
  name: 'follows_follower_created_idx',
  expression: 'create index "follows_follower_created_idx" on "follows" ("follower_id", "created_at" desc, "id" desc)',
})
@Check({ name: 'follows_not_self_check', expression: 'follower_id <> following_id' })
export class Follow {
  [EntityRepositoryType]?: FollowsRepository;
  [OptionalProps]?: 'id' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  @ManyToOne(() => User, { ref: true, deleteRule: 'cascade' })
  follower: Ref<User>;

  @ManyToOne(() => User, { ref: true, deleteRule: 'cascade' })
  following: Ref<User>;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
