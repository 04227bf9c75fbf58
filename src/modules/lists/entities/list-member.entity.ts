import { Entity, Index, ManyToOne, PrimaryKeyProp, Property, Ref } from '@mikro-orm/core';
import { User } from '@/modules/users/entities/user.entity';
import { List } from './list.entity';

/**
 * `member` is on `list`. The primary key `(list_id, member_id)` serves the list timeline's semi-join and the segment's
 * keyset batches; the members page walks `(list_id, created_at desc, member_id desc)`.
 */
@Entity({ tableName: 'list_members' })
@Index({
  name: 'list_members_list_created_idx',
  expression: 'create index "list_members_list_created_idx" on "list_members" ("list_id", "created_at" desc, "member_id" desc)',
})
export class ListMember {
  [PrimaryKeyProp]?: ['list', 'member'];

  @ManyToOne(() => List, { ref: true, primary: true, deleteRule: 'cascade' })
  list: Ref<List>;

  @ManyToOne(() => User, { ref: true, primary: true, deleteRule: 'cascade', index: 'list_members_member_id_index' })
  member: Ref<User>;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
