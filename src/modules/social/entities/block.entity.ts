import { Check, Entity, EntityRepositoryType, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Ref, Unique } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { User } from '@/modules/users/entities/user.entity';
import { BlocksRepository } from '../repositories/blocks.repository';

/** `blocker` blocks `blocked`; the block hides each one's content from the other. */
@Entity({ tableName: 'blocks', repository: () => BlocksRepository })
@Unique({ name: 'blocks_blocker_id_blocked_id_unique', properties: ['blocker', 'blocked'] })
@Index({ name: 'blocks_blocked_id_index', properties: ['blocked'] })
@Check({ name: 'blocks_not_self_check', expression: 'blocker_id <> blocked_id' })
export class Block {
  [EntityRepositoryType]?: BlocksRepository;
  [OptionalProps]?: 'id' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  @ManyToOne(() => User, { ref: true, deleteRule: 'cascade' })
  blocker: Ref<User>;

  @ManyToOne(() => User, { ref: true, deleteRule: 'cascade' })
  blocked: Ref<User>;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
