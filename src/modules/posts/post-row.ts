import { SqlFragment } from '@/common/database/sql-fragment';
import { Keyset } from '@/common/http/pagination';
import { extractEntities } from './post-content';
import { Visibility } from './entities/post.entity';

/**
 * A post as the read paths fetch it: one row with its author's summary, no entity hydration.
 * Column names are the SQL's (see POST_COLUMNS).
 */
export interface PostRow {
  id: string;
  user_id: string;
  content: string;
  content_html: string | null;
  reply_to_id: string | null;
  root_post_id: string | null;
  repost_of_id: string | null;
  likes_count: number;
  replies_count: number;
  reposts_count: number;
  visibility: Visibility;
  is_premium: boolean;
  price_cents: number | null;
  /** The lowest tier that opens this premium post (the access policy ranks tiers); null: any subscriber. */
  min_tier_id: string | null;
  preview: string | null;
  currency: string;
  created_at: Date;
  edited_at: Date | null;
  deleted_at: Date | null;
  /** Removed by a moderator: the policy hides it from everyone, its author included. */
  removed_at: Date | null;
  author_username: string;
  author_display_name: string | null;
  author_avatar_url: string | null;
  author_verified: boolean;
  author_suspended_at: Date | null;
}

export const POST_COLUMNS = `p.id, p.user_id, p.content, p.content_html, p.reply_to_id, p.root_post_id, p.repost_of_id,
  p.likes_count, p.replies_count, p.retweets_count as reposts_count, p.visibility, p.is_premium, p.price_cents,
  p.min_tier_id, p.preview, p.currency, p.created_at, p.edited_at, p.deleted_at, p.removed_at,
  u.username as author_username, u.display_name as author_display_name, u.avatar_url as author_avatar_url,
  u.verified as author_verified, u.suspended_at as author_suspended_at`;

/** The FROM of every post read: the post `p` and its author `u`. */
export const POST_FROM = 'from posts p join users u on u.id = p.user_id';
/** A post anyone may still be shown: not deleted, its author not suspended. */
export const POST_LIVE = 'p.deleted_at is null and u.suspended_at is null';

/** The keyset condition of a newest-first page of posts `p`: after the cursor's row, or nothing on the first page. */
export function postsBefore(cursor: Keyset | undefined): SqlFragment {
  return cursor ? { sql: 'and (p.created_at, p.id) < (?, ?)', params: [cursor.at, cursor.id] } : { sql: '', params: [] };
}

/**
 * The newest posts of a few authors, newest first: one `posts_user_created_idx` probe per author, merged (the plan of
 * the home and list timelines up to 20 authors, docs/timelines.md). `authors` selects `(id, suspended_at)` rows, seen
 * as `a`, so a rule's author part holds once per author rather than once per post; `filter` applies to each author's
 * posts `p` (the cursor's condition included). The posts' own join to `users` stays outside the probes.
 */
export function newestOfAuthorsSql(authors: SqlFragment, filter: SqlFragment, limit: number): SqlFragment {
  return {
    sql: `with authors as (${authors.sql})
         select ${POST_COLUMNS} from authors a
          cross join lateral (
            select p.* from posts p
             where p.user_id = a.id and ${filter.sql}
             order by p.created_at desc, p.id desc limit ?) p
          join users u on u.id = p.user_id
         order by p.created_at desc, p.id desc limit ?`,
    params: [...authors.params, ...filter.params, limit, limit],
  };
}

/** Whether `tag` (lower-case, no `#`) is one of the hashtags of the post's teaser: what places a locked post under a tag. */
export function previewHasTag(row: Pick<PostRow, 'preview'>, tag: string): boolean {
  return !!row.preview && extractEntities(row.preview).hashtags.includes(tag);
}
