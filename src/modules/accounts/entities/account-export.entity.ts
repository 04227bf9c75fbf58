import { Entity, Enum, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Ref } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { User } from '@/modules/users/entities/user.entity';

export const EXPORT_STATUSES = ['pending', 'ready', 'failed'] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

/** A data export (`POST /me/exports`): a ZIP built by a worker into media storage. */
@Entity({ tableName: 'account_exports' })
@Index({
  name: 'account_exports_user_created_idx',
  expression: 'create index "account_exports_user_created_idx" on "account_exports" ("user_id", "created_at" desc)',
})
export class AccountExport {
  [OptionalProps]?: 'id' | 'status' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  @ManyToOne(() => User, { ref: true, deleteRule: 'cascade' })
  user: Ref<User>;

  @Enum({ items: [...EXPORT_STATUSES], columnType: 'varchar(10)', default: 'pending' })
  status: ExportStatus = 'pending';

  /** The archive's media-storage key, once ready. */
  @Property({ type: 'string', length: 255, nullable: true })
  storageKey?: string | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  finishedAt?: Date | null;
}
