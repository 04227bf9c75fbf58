import { Check, Entity, EntityRepositoryType, Enum, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Ref, Unique } from '@mikro-orm/core';
import { v7 } from 'uuid';
// Type only: the relations name 'Media', so loading users never loads the media module (see docs/module-boundaries.md).
import type { Media } from '@/modules/media/entities/media.entity';
import { UsersRepository } from '../users.repository';

export const USER_ROLES = ['user', 'admin'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export const DM_POLICIES = ['everyone', 'following', 'subscribers', 'nobody'] as const;
export type DmPolicy = (typeof DM_POLICIES)[number];

@Entity({ tableName: 'users', repository: () => UsersRepository })
@Unique({
  name: 'users_username_lower_unique',
  expression: 'create unique index "users_username_lower_unique" on "users" (lower("username"))',
})
// Search and suggestions (migration 20261203070000, docs/search.md).
@Index({
  name: 'users_username_trgm_idx',
  expression: 'create index "users_username_trgm_idx" on "users" using gin (lower("username") gin_trgm_ops)',
})
@Index({
  name: 'users_display_name_trgm_idx',
  expression: 'create index "users_display_name_trgm_idx" on "users" using gin (public.search_fold("display_name") gin_trgm_ops)',
})
@Index({
  name: 'users_popular_idx',
  expression: 'create index "users_popular_idx" on "users" ("followers_count" desc, "id" desc) where "suspended_at" is null',
})
@Check({
  name: 'users_subscription_price_cents_check',
  expression: 'subscription_price_cents >= 100 and subscription_price_cents <= 100000',
})
export class User {
  [EntityRepositoryType]?: UsersRepository;
  [OptionalProps]?:
    | 'id'
    | 'verified'
    | 'emailVerified'
    | 'role'
    | 'currency'
    | 'dmPolicy'
    | 'followersCount'
    | 'followingCount'
    | 'postsCount'
    | 'createdAt'
    | 'updatedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  /** Unique as typed and, through `users_username_lower_unique`, case-insensitively. */
  @Property({ type: 'string', length: 50, unique: 'users_username_unique' })
  username: string;

  /** Stored trimmed and lower-cased by the application. */
  @Property({ type: 'string', length: 255, unique: 'users_email_unique' })
  email: string;

  /** Null for accounts created through Google sign-in. Lazy and hidden: load it explicitly, never serialise it. */
  @Property({ type: 'string', length: 255, nullable: true, lazy: true, hidden: true })
  passwordHash?: string | null;

  @Property({ type: 'string', length: 100, nullable: true })
  displayName?: string | null;

  @Property({ type: 'text', nullable: true })
  bio?: string | null;

  @Property({ type: 'string', length: 500, nullable: true })
  avatarUrl?: string | null;

  @Property({ type: 'string', length: 500, nullable: true })
  coverUrl?: string | null;

  @ManyToOne('Media', { ref: true, nullable: true, deleteRule: 'set null', index: 'users_avatar_media_idx' })
  avatarMedia?: Ref<Media> | null;

  @ManyToOne('Media', { ref: true, nullable: true, deleteRule: 'set null', index: 'users_cover_media_idx' })
  coverMedia?: Ref<Media> | null;

  @Property({ type: 'boolean', default: false })
  verified: boolean = false;

  @Enum({ items: [...USER_ROLES], columnType: 'varchar(20)', default: 'user' })
  role: UserRole = 'user';

  /** A creator's monthly price; null means the creator takes no subscriptions. */
  @Property({ type: 'integer', nullable: true })
  subscriptionPriceCents?: number | null;

  @Property({ type: 'string', length: 3, default: 'usd' })
  currency: string = 'usd';

  /** Who may start a conversation with this account (docs/inbox.md#who-may-write). */
  @Enum({ items: [...DM_POLICIES], columnType: 'varchar(20)', default: 'everyone' })
  dmPolicy: DmPolicy = 'everyone';

  /** The owner proved they read mail at `email` (a verification link, or Google said so). */
  @Property({ type: 'boolean', default: false })
  emailVerified: boolean = false;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  suspendedAt?: Date | null;

  /**
   * Set when the owner deleted the account (`DELETE /me`). The row stays as an anonymous tombstone: it holds the
   * username for 30 days and keeps payment records pointing somewhere. A deleted account is also suspended, so
   * every read path that hides suspended accounts hides it with no second rule.
   */
  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  deletedAt?: Date | null;

  @Property({ type: 'integer', default: 0 })
  followersCount: number = 0;

  @Property({ type: 'integer', default: 0 })
  followingCount: number = 0;

  @Property({ type: 'integer', default: 0 })
  postsCount: number = 0;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
