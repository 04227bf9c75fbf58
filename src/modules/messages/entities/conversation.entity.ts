import { Check, Entity, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Ref, Unique } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { User } from '@/modules/users/entities/user.entity';

/** One pair of accounts, once: the lower id first (`conversations_pair_order_check`), so the pair is unique. */
@Entity({ tableName: 'conversations' })
@Unique({ name: 'conversations_pair_unique', properties: ['userLow', 'userHigh'] })
@Index({ name: 'conversations_user_high_idx', properties: ['userHigh'] })
@Check({ name: 'conversations_pair_order_check', expression: 'user_low_id < user_high_id' })
export class Conversation {
  [OptionalProps]?: 'id' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  @ManyToOne(() => User, { ref: true, deleteRule: 'cascade' })
  userLow: Ref<User>;

  @ManyToOne(() => User, { ref: true, deleteRule: 'cascade' })
  userHigh: Ref<User>;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
