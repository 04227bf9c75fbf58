import { Check, Entity, Enum, Index, ManyToOne, OptionalProps, Property, Ref } from '@mikro-orm/core';
import { User } from '@/modules/users/entities/user.entity';
import { Conversation } from './conversation.entity';

export const CONVERSATION_STATUSES = ['active', 'request'] as const;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];

/**
 * One side of a conversation: its own status (a `request` until the recipient replies or accepts), whether it is
 * hidden, its unread count (moved by single-row updates under the row's lock, so it stays exact under concurrency),
 * and its latest activity, the list's order.
 */
@Entity({ tableName: 'conversation_members' })
@Index({
  name: 'conversation_members_list_idx',
  expression:
    'create index "conversation_members_list_idx" on "conversation_members" ("user_id", "status", "last_activity_at" desc, "conversation_id" desc) ' +
    'where "hidden_at" is null and "last_activity_at" is not null',
})
@Index({ name: 'conversation_members_other_idx', properties: ['otherUser'] })
@Check({ name: 'conversation_members_unread_check', expression: 'unread_count >= 0' })
export class ConversationMember {
  [OptionalProps]?: 'status' | 'unreadCount' | 'createdAt';

  @ManyToOne(() => Conversation, { ref: true, primary: true, deleteRule: 'cascade' })
  conversation: Ref<Conversation>;

  @ManyToOne(() => User, { ref: true, primary: true, deleteRule: 'cascade' })
  user: Ref<User>;

  @ManyToOne(() => User, { ref: true, deleteRule: 'cascade' })
  otherUser: Ref<User>;

  @Enum({ items: [...CONVERSATION_STATUSES], columnType: 'varchar(20)', default: 'active' })
  status: ConversationStatus = 'active';

  @Property({ type: 'integer', default: 0 })
  unreadCount: number = 0;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  lastReadAt?: Date | null;

  @Property({ type: 'uuid', nullable: true })
  lastMessageId?: string | null;

  /** Null until the conversation has something for this side to see: the recipient's side appears with the first message. */
  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  lastActivityAt?: Date | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  hiddenAt?: Date | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
