import { Entity, EntityRepositoryType, Enum, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Ref, Unique } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { Post } from '@/modules/posts/entities/post.entity';
import { User } from '@/modules/users/entities/user.entity';
import { NotificationsRepository } from '../notifications.repository';

export const NOTIFICATION_TYPES = [
  'follow',
  'like',
  'reply',
  'mention',
  'repost',
  'subscription',
  'post_unlocked',
  'subscribed_post',
  'report_resolved',
  'message_unlocked',
  'tip',
  'gift_received',
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

/** Tells `user` that `fromUser` did something (`type`), possibly about `post`. */
@Entity({ tableName: 'notifications', repository: () => NotificationsRepository })
@Unique({ name: 'notifications_user_id_dedupe_key_unique', properties: ['user', 'dedupeKey'] })
// Account erasure deletes the notifications a user caused, by sender; deleting a post cascades to its notifications.
@Index({
  name: 'notifications_from_user_idx',
  expression: 'create index "notifications_from_user_idx" on "notifications" ("from_user_id")',
})
@Index({
  name: 'notifications_post_idx',
  expression: 'create index "notifications_post_idx" on "notifications" ("post_id") where "post_id" is not null',
})
@Index({ name: 'idx_notifications_user_id', properties: ['user'] })
@Index({ name: 'idx_notifications_read', properties: ['user', 'read'] })
@Index({
  name: 'notifications_user_created_idx',
  expression:
    'create index "notifications_user_created_idx" on "notifications" ("user_id", "created_at" desc, "id" desc)',
})
@Index({
  name: 'notifications_unread_idx',
  expression:
    'create index "notifications_unread_idx" on "notifications" ("user_id", "created_at" desc, "id" desc) where "read" = false',
})
export class Notification {
  [EntityRepositoryType]?: NotificationsRepository;
  [OptionalProps]?: 'id' | 'read' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  /** The recipient. */
  @ManyToOne(() => User, { ref: true, deleteRule: 'cascade' })
  user: Ref<User>;

  /** Who acted; null for the service's own notices (`report_resolved`). */
  @ManyToOne(() => User, { ref: true, nullable: true, deleteRule: 'cascade' })
  fromUser?: Ref<User> | null;

  @Enum({ items: [...NOTIFICATION_TYPES], columnType: 'varchar(50)' })
  type: NotificationType;

  @ManyToOne(() => Post, { ref: true, nullable: true, deleteRule: 'cascade' })
  post?: Ref<Post> | null;

  @Property({ type: 'boolean', default: false })
  read: boolean = false;

  /** The money a `tip` notification tells of (docs/inbox.md#tips); null for every other type. */
  @Property({ type: 'integer', nullable: true })
  amountCents?: number | null;

  @Property({ type: 'string', length: 3, nullable: true })
  currency?: string | null;

  /** Unique per recipient: a redelivered event or a repeated like never notifies twice. */
  @Property({ type: 'string', length: 200, nullable: true })
  dedupeKey?: string | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
