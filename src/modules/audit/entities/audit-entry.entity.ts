import { Entity, EntityRepositoryType, Enum, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Ref } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { Post } from '@/modules/posts/entities/post.entity';
import { User } from '@/modules/users/entities/user.entity';
import { AuditLogRepository } from '../audit-log.repository';

export const AUDIT_ACTIONS = ['user.verify', 'user.suspend', 'user.unsuspend', 'user.role', 'report.resolve', 'post.remove'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** One admin action, written in the transaction of the action itself. Append-only: no route edits or deletes it. */
@Entity({ tableName: 'audit_log', repository: () => AuditLogRepository })
@Index({
  name: 'audit_log_created_idx',
  expression: 'create index "audit_log_created_idx" on "audit_log" ("created_at" desc, "id" desc)',
})
export class AuditEntry {
  [EntityRepositoryType]?: AuditLogRepository;
  [OptionalProps]?: 'id' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  @ManyToOne(() => User, { ref: true, nullable: true, deleteRule: 'set null' })
  actor: Ref<User> | null;

  @Enum({ items: [...AUDIT_ACTIONS], columnType: 'varchar(30)' })
  action: AuditAction;

  @ManyToOne(() => User, { ref: true, nullable: true, deleteRule: 'set null' })
  targetUser?: Ref<User> | null;

  @ManyToOne(() => Post, { ref: true, nullable: true, deleteRule: 'set null' })
  targetPost?: Ref<Post> | null;

  @Property({ type: 'string', length: 1000, nullable: true })
  note?: string | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();
}
