import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { executeOnReplica } from '@/common/database/read-replica';
import { column, SqlFragment, sql, value } from '@/common/database/sql-fragment';
import { Keyset } from '@/common/http/pagination';
import { Visibility } from '@/modules/posts/entities/post.entity';
import { POST_COLUMNS, POST_FROM, POST_LIVE, PostRow } from '@/modules/posts/post-row';
import { muted, notBlockedOrMuted, notMuted } from '@/modules/social/social.predicates';

/**
 * A repost of a muted author's post is muted too (Mastodon's rule). Written as one `not exists` (an anti-join the
 * planner can probe per row), not as `repost_of_id is null or exists (… not muted)`: under that `or`, on a small
 * posts table (100k rows), PostgreSQL hashed the whole table once per page (a sequential scan, 0.4 s a page; the
 * scale curve in docs/benchmarks.md found it). `repost_of_id` always names an existing row (a foreign key), so the
 * two say the same.
 */
function notMutedRepost(viewerId: string): SqlFragment {
  return sql`not exists (select 1 from posts o where o.id = p.repost_of_id and ${muted(value(viewerId), column('o.user_id'))})`;
}

/** Up to this many followed accounts, the home timeline probes each author's index (see homePage). */
export const HOME_PROBE_LIMIT = 20;

/** For a signed-in viewer: no author across a block, none they mute (social's predicate). */
function reachableBy(viewerId: string | undefined): SqlFragment {
  return viewerId ? sql`and ${notBlockedOrMuted(value(viewerId), column('p.user_id'))}` : { sql: '', params: [] };
}

function before(cursor: Keyset | undefined): { sql: string; params: unknown[] } {
  return cursor ? { sql: 'and (p.created_at, p.id) < (?, ?)', params: [cursor.at, cursor.id] } : { sql: '', params: [] };
}

/**
 * The four timeline page queries, each one indexed keyset query returning post rows for PostViewsService to render.
 * They filter in SQL with the shared predicates (social's block/mute, entitlements' subscriber access) so a page is
 * never short of what the policy would show; the policy still judges every row when it is rendered. Pages run on a
 * read replica when there is one (they may lag the primary by the replication delay; see
 * docs/scaling-out.md#read-replicas-which-endpoint-reads-where).
 */
@Injectable()
export class TimelinePages {
  constructor(private readonly em: EntityManager) {}

  private pageRows(query: string, params: unknown[]): Promise<PostRow[]> {
    return executeOnReplica<PostRow[]>(this.em, query, params);
  }

  /**
   * Home: the viewer's own posts and those of everyone they follow, reposts included, newest first, minus muted
   * authors (and reposts of their posts) and subscriber-only posts the viewer has no access to. Two plans, chosen by
   * how many the viewer follows (measured in docs/timelines.md):
   * - few: one `posts_user_created_idx` probe per followed author, merged (cost grows with the follow count);
   * - many: a backward walk of the `created_at` index keeping followed authors' posts (cost shrinks as the
   *   followed share of all posts grows).
   */
  homePage(viewerId: string, followingCount: number, cursor: Keyset | undefined, limit: number, access: SqlFragment): Promise<PostRow[]> {
    const c = before(cursor);
    const visible = sql`(p.visibility <> 'subscribers' or p.user_id = ${value(viewerId)} or ${access})`;
    const mutedRepost = notMutedRepost(viewerId);
    if (followingCount <= HOME_PROBE_LIMIT) {
      const followed = notMuted(value(viewerId), column('f.following_id'));
      return this.pageRows(
        `with authors as (
           select ?::uuid as id
           union all
           select f.following_id from follows f where f.follower_id = ? and ${followed.sql})
         select ${POST_COLUMNS} from authors a
          cross join lateral (
            select p.* from posts p
             where p.user_id = a.id and p.deleted_at is null and ${visible.sql} and ${mutedRepost.sql} ${c.sql}
             order by p.created_at desc, p.id desc limit ?) p
          join users u on u.id = p.user_id
         where u.suspended_at is null
         order by p.created_at desc, p.id desc limit ?`,
        [viewerId, viewerId, ...followed.params, ...visible.params, ...mutedRepost.params, ...c.params, limit, limit],
      );
    }
    const unmuted = notMuted(value(viewerId), column('p.user_id'));
    return this.pageRows(
      `select ${POST_COLUMNS} ${POST_FROM}
        where ${POST_LIVE}
          and (p.user_id = ? or p.user_id in (select following_id from follows where follower_id = ?))
          and ${visible.sql}
          and ${unmuted.sql}
          and ${mutedRepost.sql}
          ${c.sql}
        order by p.created_at desc, p.id desc limit ?`,
      [viewerId, viewerId, ...visible.params, ...unmuted.params, ...mutedRepost.params, ...c.params, limit],
    );
  }

  /** Public, original (not reposted) posts, newest first, over `posts_public_created_idx`. */
  publicPage(viewerId: string | undefined, cursor: Keyset | undefined, limit: number): Promise<PostRow[]> {
    const c = before(cursor);
    const exclude = reachableBy(viewerId);
    return this.pageRows(
      `select ${POST_COLUMNS} ${POST_FROM}
        where ${POST_LIVE} and p.visibility = 'public' and p.repost_of_id is null ${exclude.sql} ${c.sql}
        order by p.created_at desc, p.id desc limit ?`,
      [...exclude.params, ...c.params, limit],
    );
  }

  /** Public posts with a hashtag, over `post_hashtags_tag_created_idx`. */
  tagPage(tag: string, viewerId: string | undefined, cursor: Keyset | undefined, limit: number): Promise<PostRow[]> {
    const c = cursor ? { sql: 'and (ph.created_at, ph.post_id) < (?, ?)', params: [cursor.at, cursor.id] } : { sql: '', params: [] };
    const exclude = reachableBy(viewerId);
    return this.pageRows(
      `select ${POST_COLUMNS}
         from hashtags h join post_hashtags ph on ph.hashtag_id = h.id
         join posts p on p.id = ph.post_id join users u on u.id = p.user_id
        where h.name = ? and ${POST_LIVE} and p.visibility = 'public' ${exclude.sql} ${c.sql}
        order by ph.created_at desc, ph.post_id desc limit ?`,
      [tag, ...exclude.params, ...c.params, limit],
    );
  }

  /** One author's posts and reposts in the visibilities the viewer may see, over `posts_user_created_idx`. */
  authorPage(authorId: string, visibilities: Visibility[], cursor: Keyset | undefined, limit: number): Promise<PostRow[]> {
    const c = before(cursor);
    return this.pageRows(
      `select ${POST_COLUMNS} ${POST_FROM}
        where p.user_id = ? and ${POST_LIVE} and p.visibility in (?) ${c.sql}
        order by p.created_at desc, p.id desc limit ?`,
      [authorId, visibilities, ...c.params, limit],
    );
  }
}
