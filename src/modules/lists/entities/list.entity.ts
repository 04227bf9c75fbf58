import { Check, Entity, EntityRepositoryType, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Ref } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { User } from '@/modules/users/entities/user.entity';
import { ListsRepository } from '../lists.repository';

/** At most this many lists per owner, and members per list (the contract's limits). */
export const MAX_LISTS = 50;
export const MAX_MEMBERS = 5000;

/** An owner's private list of accounts. `membersCount` moves only under the list's row lock (ListsRepository). */
@Entity({ tableName: 'lists', repository: () => ListsRepository })
@Index({ name: 'lists_owner_created_idx', expression: 'create index "lists_owner_created_idx" on "lists" ("owner_id", "created_at" desc, "id" desc)' })
@Check({ name: 'lists_members_count_check', expression: 'members_count >= 0 and members_count <= 5000' })
export class List {
  [EntityRepositoryType]?: ListsRepository;
  [OptionalProps]?: 'id' | 'membersCount' | 'createdAt' | 'updatedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  @ManyToOne(() => User, { ref: true, deleteRule: 'cascade', index: false })
  owner: Ref<User>;

  @Property({ length: 50 })
  name: string;

  @Property({ type: 'integer', default: 0 })
  membersCount: number = 0;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  updatedAt: Date = new Date();
}
