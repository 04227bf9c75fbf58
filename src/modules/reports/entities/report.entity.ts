import { Entity, EntityRepositoryType, Enum, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Ref, Unique } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { Message } from '@/modules/messages/entities/message.entity';
import { Post } from '@/modules/posts/entities/post.entity';
import { User } from '@/modules/users/entities/user.entity';
import { ReportsRepository } from '../reports.repository';

export const REPORT_REASONS = ['spam', 'abuse', 'illegal', 'sexual_content', 'impersonation', 'other'] as const;
export type ReportReason = (typeof REPORT_REASONS)[number];
export const REPORT_STATUSES = ['open', 'resolved'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];
export const REPORT_ACTIONS = ['dismiss', 'remove_post', 'suspend_user'] as const;
export type ReportAction = (typeof REPORT_ACTIONS)[number];

/**
 * `reporter` reports `targetUser`, or their post `targetPost`. One open report per reporter and target (the partial
 * unique index); open reports on one target are resolved together, each pointing at the one the admin resolved.
 */
@Entity({ tableName: 'reports', repository: () => ReportsRepository })
@Unique({
  name: 'reports_open_unique',
  expression:
    'create unique index "reports_open_unique" on "reports" ("reporter_id", "target_user_id", "target_post_id", "target_message_id") nulls not distinct ' +
    `where "status" = 'open'`,
})
@Index({
  name: 'reports_status_created_idx',
  expression: 'create index "reports_status_created_idx" on "reports" ("status", "created_at" desc, "id" desc)',
})
@Index({
  name: 'reports_open_target_idx',
  expression:
    'create index "reports_open_target_idx" on "reports" ("target_user_id", "target_post_id", "target_message_id", "created_at", "id") ' +
    `where "status" = 'open'`,
})
@Index({ name: 'reports_resolved_with_idx', properties: ['resolvedWithId'] })
export class Report {
  [EntityRepositoryType]?: ReportsRepository;
  [OptionalProps]?: 'id' | 'status' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  @ManyToOne(() => User, { ref: true, deleteRule: 'cascade' })
  reporter: Ref<User>;

  @ManyToOne(() => User, { ref: true, deleteRule: 'cascade' })
  targetUser: Ref<User>;

  @ManyToOne(() => Post, { ref: true, nullable: true, deleteRule: 'cascade' })
  targetPost?: Ref<Post> | null;

  /** A reported direct message (its sender is `targetUser`). */
  @ManyToOne(() => Message, { ref: true, nullable: true, deleteRule: 'cascade' })
  targetMessage?: Ref<Message> | null;

  @Enum({ items: [...REPORT_REASONS], columnType: 'varchar(30)' })
  reason: ReportReason;

  @Property({ type: 'string', length: 1000, nullable: true })
  comment?: string | null;

  @Enum({ items: [...REPORT_STATUSES], columnType: 'varchar(20)', default: 'open' })
  status: ReportStatus = 'open';

  @Enum({ items: [...REPORT_ACTIONS], columnType: 'varchar(30)', nullable: true })
  resolution?: ReportAction | null;

  @Property({ type: 'string', length: 1000, nullable: true })
  resolutionNote?: string | null;

  @ManyToOne(() => User, { ref: true, nullable: true, deleteRule: 'set null' })
  resolvedBy?: Ref<User> | null;

  /** The report the admin resolved; every report of that group points at it (itself included). */
  @Property({ type: 'uuid', nullable: true })
  resolvedWithId?: string | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  resolvedAt?: Date | null;
}
