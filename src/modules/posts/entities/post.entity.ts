import { Check, Entity, EntityRepositoryType, Enum, Index, ManyToOne, OptionalProps, PrimaryKey, Property, Ref, Unique } from '@mikro-orm/core';
import { v7 } from 'uuid';
import { User } from '@/modules/users/entities/user.entity';
import { PostsRepository } from '../repositories/posts.repository';

export const VISIBILITIES = ['public', 'followers', 'subscribers'] as const;
export type Visibility = (typeof VISIBILITIES)[number];

/**
 * A post, a reply (`replyTo` set) or a repost (`repostOf` set, empty content: Mastodon's reblog model).
 * Posts are soft-deleted through `deletedAt`, so replies keep their `replyTo`.
 */
@Entity({ tableName: 'posts', repository: () => PostsRepository })
// Deleting a post cascades to its reposts and un-roots its thread (foreign keys): without these (posts_root_idx is
// partial on live posts), each deleted post scans the table; measured at 10 ms per post on 40k posts.
@Index({
  name: 'posts_repost_of_idx',
  expression: 'create index "posts_repost_of_idx" on "posts" ("repost_of_id") where "repost_of_id" is not null',
})
@Index({
  name: 'posts_root_post_fk_idx',
  expression: 'create index "posts_root_post_fk_idx" on "posts" ("root_post_id") where "root_post_id" is not null',
})
@Index({ name: 'idx_posts_user_id', properties: ['author'] })
@Index({ name: 'idx_posts_created_at', expression: 'create index "idx_posts_created_at" on "posts" ("created_at" desc)' })
@Index({ name: 'idx_posts_reply_to_id', properties: ['replyTo'] })
@Index({
  name: 'posts_user_created_idx',
  expression:
    'create index "posts_user_created_idx" on "posts" ("user_id", "created_at" desc, "id" desc) where "deleted_at" is null',
})
@Index({
  name: 'posts_public_created_idx',
  expression:
    'create index "posts_public_created_idx" on "posts" ("created_at" desc, "id" desc) ' +
    `where "deleted_at" is null and "visibility" = 'public'`,
})
@Index({
  name: 'posts_reply_created_idx',
  expression:
    'create index "posts_reply_created_idx" on "posts" ("reply_to_id", "created_at", "id") where "deleted_at" is null',
})
@Index({
  name: 'posts_root_idx',
  expression: 'create index "posts_root_idx" on "posts" ("root_post_id", "created_at") where "deleted_at" is null',
})
@Unique({
  name: 'posts_repost_unique',
  expression:
    'create unique index "posts_repost_unique" on "posts" ("user_id", "repost_of_id") ' +
    'where "repost_of_id" is not null and "deleted_at" is null',
})
@Index({
  name: 'posts_search_idx',
  expression: 'create index "posts_search_idx" on "posts" using gin ("search_vector") where "deleted_at" is null',
})
// A premium post's content words, for those who may read it (migration 20261207190000, docs/search.md).
@Index({
  name: 'posts_premium_search_idx',
  expression:
    `create index "posts_premium_search_idx" on "posts" using gin (to_tsvector('simple'::regconfig, public.search_fold("content"))) ` +
    'where "is_premium" and "deleted_at" is null',
})
@Check({ name: 'posts_price_cents_check', expression: 'price_cents >= 100 and price_cents <= 100000' })
export class Post {
  [EntityRepositoryType]?: PostsRepository;
  [OptionalProps]?:
    | 'id'
    | 'likesCount'
    | 'repliesCount'
    | 'repostsCount'
    | 'visibility'
    | 'isPremium'
    | 'currency'
    | 'createdAt'
    | 'updatedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = v7();

  @ManyToOne(() => User, { ref: true, fieldName: 'user_id', deleteRule: 'cascade' })
  author: Ref<User>;

  /** Empty for a repost. */
  @Property({ type: 'text' })
  content: string;

  @Property({ type: 'text', nullable: true })
  contentHtml?: string | null;

  /** The direct parent of a reply. A hard-deleted parent leaves the reply in place. */
  @ManyToOne(() => Post, { ref: true, nullable: true, deleteRule: 'set null' })
  replyTo?: Ref<Post> | null;

  /** The first post of the thread, inherited by every reply. */
  @ManyToOne(() => Post, { ref: true, nullable: true, deleteRule: 'set null' })
  rootPost?: Ref<Post> | null;

  /** The reposted post; a repost has no content of its own and goes with the original. */
  @ManyToOne(() => Post, { ref: true, nullable: true, deleteRule: 'cascade' })
  repostOf?: Ref<Post> | null;

  @Property({ type: 'json', nullable: true })
  metadata?: Record<string, unknown> | null;

  @Property({ type: 'integer', default: 0 })
  likesCount: number = 0;

  /** Direct replies only. */
  @Property({ type: 'integer', default: 0 })
  repliesCount: number = 0;

  /** `retweets_count` in the original design. */
  @Property({ type: 'integer', fieldName: 'retweets_count', default: 0 })
  repostsCount: number = 0;

  @Enum({ items: [...VISIBILITIES], columnType: 'varchar(20)', default: 'public' })
  visibility: Visibility = 'public';

  @Property({ type: 'boolean', default: false })
  isPremium: boolean = false;

  /** Pay-per-view price; null when the post is not sold on its own. */
  @Property({ type: 'integer', nullable: true })
  priceCents?: number | null;

  /**
   * The lowest tier (billing's `tiers`, the author's own) whose subscribers may read this premium post; null: any
   * subscriber (docs/access-policy.md#tiers).
   */
  @Property({ type: 'uuid', nullable: true })
  minTierId?: string | null;

  /** Teaser shown instead of the content to viewers a premium post is locked for. */
  @Property({ type: 'string', length: 280, nullable: true })
  preview?: string | null;

  @Property({ type: 'string', length: 3, default: 'usd' })
  currency: string = 'usd';

  /**
   * The words the post is found by (migration 20261203070000, docs/search.md), written by PostgreSQL: a premium post's
   * come from its `preview` only, so its hidden content can never match a search. Never loaded or written here.
   */
  @Property({
    type: 'string',
    columnType: 'tsvector',
    nullable: true,
    lazy: true,
    hidden: true,
    // PostgreSQL's own rendering of the migration's expression, so the schema diff stays empty.
    generated:
      "(to_tsvector('simple'::regconfig, search_fold(CASE WHEN is_premium THEN (COALESCE(preview, ''::character varying))::text ELSE content END))) stored",
  })
  searchVector?: string;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  editedAt?: Date | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  deletedAt?: Date | null;

  /** Removed by a moderator (a report's `remove_post`): the row stays for the audit; the access policy hides it from everyone. */
  @Property({ type: 'datetime', columnType: 'timestamptz', nullable: true })
  removedAt?: Date | null;

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', columnType: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
