import { Migration } from '@mikro-orm/migrations';

/**
 * Search and discovery (docs/search.md):
 * - `unaccent` and `pg_trgm`, and `public.search_fold(text)`: unaccent + lower-case, declared immutable so that a
 *   generated column and expression indexes may use it. It names its schema and dictionary, so a `pg_restore` (which
 *   runs with an empty search_path) can rebuild them. On a database whose LC_CTYPE is C (the embedded server),
 *   `lower()` leaves non-ASCII letters alone, so the function lowers through ICU's root locale when the server has it.
 * - `posts.search_vector`: the words a post may be found by, PostgreSQL's `simple` configuration (no stemming, no
 *   stop words: every language alike). A premium post is indexed by its `preview` only, never by its content, so a
 *   locked post cannot be matched by its hidden words whatever the query does. GIN index over live posts.
 * - trigram GIN indexes for username prefixes and display-name words, and the users' popularity order.
 * - `post_hashtags_created_idx`: the trending job reads the last 24 hours of hashtag uses.
 * - `hashtag_stats` and `trending_tags`: small tables the discovery job rewrites (public uses only).
 *
 * Adding a stored generated column rewrites `posts` under an exclusive lock: on a large table, run it in a quiet hour.
 */
export class Migration20261203070000_search extends Migration {
  override async up(): Promise<void> {
    this.addSql('create extension if not exists unaccent with schema public;');
    this.addSql('create extension if not exists pg_trgm with schema public;');
    this.addSql(`do $do$
      declare
        fold_collation text := '';
      begin
        if exists (select 1 from pg_collation where collname = 'und-x-icu')
           and (select datctype from pg_database where datname = current_database()) in ('C', 'POSIX') then
          fold_collation := ' collate "und-x-icu"';
        end if;
        execute format(
          $f$create or replace function public.search_fold(text) returns text
               language sql immutable strict parallel safe
               as $body$ select lower(public.unaccent('public.unaccent'::regdictionary, $1)%s) $body$$f$,
          fold_collation);
      end
    $do$;`);

    this.addSql(`alter table "posts" add column "search_vector" tsvector generated always as (
      to_tsvector('simple'::regconfig, public.search_fold(case when is_premium then coalesce(preview, '') else content end))
    ) stored;`);
    this.addSql('create index "posts_search_idx" on "posts" using gin ("search_vector") where "deleted_at" is null;');

    this.addSql('create index "users_username_trgm_idx" on "users" using gin (lower("username") gin_trgm_ops);');
    this.addSql('create index "users_display_name_trgm_idx" on "users" using gin (public.search_fold("display_name") gin_trgm_ops);');
    this.addSql('create index "users_popular_idx" on "users" ("followers_count" desc, "id" desc) where "suspended_at" is null;');
    this.addSql('create index "post_hashtags_created_idx" on "post_hashtags" ("created_at");');

    this.addSql(`create table "hashtag_stats" (
      "hashtag_id" uuid not null,
      "name" varchar(100) not null,
      "posts_count" int not null,
      "last_used_at" timestamptz not null,
      constraint "hashtag_stats_pkey" primary key ("hashtag_id")
    );`);
    this.addSql('create index "hashtag_stats_name_idx" on "hashtag_stats" ("name" varchar_pattern_ops);');
    this.addSql(`create table "trending_tags" (
      "hashtag_id" uuid not null,
      "name" varchar(100) not null,
      "authors_count" int not null,
      "posts_count" int not null,
      "computed_at" timestamptz not null,
      constraint "trending_tags_pkey" primary key ("hashtag_id")
    );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "trending_tags";');
    this.addSql('drop table if exists "hashtag_stats";');
    this.addSql('drop index if exists "post_hashtags_created_idx";');
    this.addSql('drop index if exists "users_popular_idx";');
    this.addSql('drop index if exists "users_display_name_trgm_idx";');
    this.addSql('drop index if exists "users_username_trgm_idx";');
    this.addSql('alter table "posts" drop column if exists "search_vector";');
    this.addSql('drop function if exists public.search_fold(text);');
  }
}
