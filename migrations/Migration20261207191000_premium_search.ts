import { Migration } from '@mikro-orm/migrations';

/**
 * Search for those who may read (docs/search.md): a premium post is found by its content for its author, its
 * subscribers and its buyers. `search_vector` keeps holding only a premium post's preview (what everyone may read);
 * this partial GIN index holds the content words of live premium posts, matched only together with the access
 * policy's `readableSql` (`SearchRepository`). An expression index, not a stored column: no rewrite of `posts`, and
 * it covers premium posts only. Building it reads `posts` once under a SHARE lock (writes wait; seconds at 1M posts).
 */
export class Migration20261207191000_premium_search extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create index "posts_premium_search_idx" on "posts" using gin (to_tsvector('simple'::regconfig, public.search_fold("content")))
      where "is_premium" and "deleted_at" is null;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists "posts_premium_search_idx";');
  }
}
