import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuthUser } from '@/common/auth/auth-user';
import { executeOnReplica } from '@/common/database/read-replica';
import { column, SqlFragment, sql, text, value } from '@/common/database/sql-fragment';
import { Keyset } from '@/common/http/pagination';
import { PostAccessPolicy } from '@/modules/posts/post-access.policy';
import { newestOfAuthorsSql, POST_COLUMNS, POST_FROM, postsBefore, PostRow } from '@/modules/posts/post-row';
import { notMuted, notMutedRepost } from '@/modules/social/social.predicates';

/** Up to this many followed accounts, the home timeline probes each author's index (see homePage). */
export const HOME_PROBE_LIMIT = 20;

/** For a signed-in viewer: no author they mute (social's predicate; mutes filter feeds, they are no part of visibility). */
function unmutedFor(viewer: AuthUser | undefined): SqlFragment {
  return viewer ? sql`and ${notMuted(value(viewer.id), column('p.user_id'))}` : text('');
}

/**
 * The four timeline page queries, each one indexed keyset query returning post rows for PostViewsService to render.
 * They filter in SQL with the access policy's `visibleSql` (and social's mute predicate) so a page is never short of
 * what the policy would show; the policy still judges every row when it is rendered. Pages run on a read replica when
 * there is one (they may lag the primary by the replication delay; see
 * docs/scaling-out.md#read-replicas-which-endpoint-reads-where).
 */
@Injectable()
export class TimelinePages {
  constructor(
    private readonly em: EntityManager,
    private readonly policy: PostAccessPolicy,
  ) {}

  private pageRows(query: string, params: unknown[]): Promise<PostRow[]> {
    return executeOnReplica<PostRow[]>(this.em, query, params);
  }

  /**
   * Home: the viewer's own posts and those of everyone they follow, reposts included, newest first, minus muted
   * authors (and reposts of their posts) and what the policy hides (`visibleSql` for followed authors: subscriber-only
   * posts without access, removed posts). Two plans, chosen by how many the viewer follows (docs/timelines.md):
   * - few: one `posts_user_created_idx` probe per followed author, merged (cost grows with the follow count);
   * - many: a backward walk of the `created_at` index keeping followed authors' posts (cost shrinks as the
   *   followed share of all posts grows).
   */
  homePage(viewer: AuthUser, followingCount: number, cursor: Keyset | undefined, limit: number): Promise<PostRow[]> {
    const c = postsBefore(cursor);
    const mutedRepost = notMutedRepost(value(viewer.id), column('p.repost_of_id'));
    if (followingCount <= HOME_PROBE_LIMIT) {
      // The authors' rows come with the authors (`a.suspended_at`), so the rule's author part holds once per author,
      // not once per post; the posts' own join to `users` stays outside the probes, as narrow as they are.
      const visible = this.policy.visibleSql(viewer, { post: 'p', author: 'a' }, { followedAuthors: true });
      const followed = notMuted(value(viewer.id), column('f.following_id'));
      const authors = sql`select id, suspended_at from users where id = ${value(viewer.id)}
           union all
           select u.id, u.suspended_at from follows f join users u on u.id = f.following_id where f.follower_id = ${value(viewer.id)} and ${followed}`;
      const rows = newestOfAuthorsSql(authors, sql`${visible} and ${mutedRepost} ${c}`, limit);
      return this.pageRows(rows.sql, [...rows.params]);
    }
    const visible = this.policy.visibleSql(viewer, { post: 'p', author: 'u' }, { followedAuthors: true });
    const unmuted = notMuted(value(viewer.id), column('p.user_id'));
    return this.pageRows(
      `select ${POST_COLUMNS} ${POST_FROM}
        where (p.user_id = ? or p.user_id in (select following_id from follows where follower_id = ?))
          and ${visible.sql}
          and ${unmuted.sql}
          and ${mutedRepost.sql}
          ${c.sql}
        order by p.created_at desc, p.id desc limit ?`,
      [viewer.id, viewer.id, ...visible.params, ...unmuted.params, ...mutedRepost.params, ...c.params, limit],
    );
  }

  /** Public, original (not reposted) posts the viewer may see, newest first, over `posts_public_created_idx`. */
  publicPage(viewer: AuthUser | undefined, cursor: Keyset | undefined, limit: number): Promise<PostRow[]> {
    const c = postsBefore(cursor);
    const visible = this.policy.visibleSql(viewer);
    const unmuted = unmutedFor(viewer);
    return this.pageRows(
      `select ${POST_COLUMNS} ${POST_FROM}
        where p.visibility = 'public' and ${visible.sql} and p.repost_of_id is null ${unmuted.sql} ${c.sql}
        order by p.created_at desc, p.id desc limit ?`,
      [...visible.params, ...unmuted.params, ...c.params, limit],
    );
  }

  /** Public posts with a hashtag the viewer may see, over `post_hashtags_tag_created_idx`. */
  tagPage(tag: string, viewer: AuthUser | undefined, cursor: Keyset | undefined, limit: number): Promise<PostRow[]> {
    const c = cursor ? { sql: 'and (ph.created_at, ph.post_id) < (?, ?)', params: [cursor.at, cursor.id] } : { sql: '', params: [] };
    const visible = this.policy.visibleSql(viewer);
    const unmuted = unmutedFor(viewer);
    return this.pageRows(
      `select ${POST_COLUMNS}
         from hashtags h join post_hashtags ph on ph.hashtag_id = h.id
         join posts p on p.id = ph.post_id join users u on u.id = p.user_id
        where h.name = ? and p.visibility = 'public' and ${visible.sql} ${unmuted.sql} ${c.sql}
        order by ph.created_at desc, ph.post_id desc limit ?`,
      [tag, ...visible.params, ...unmuted.params, ...c.params, limit],
    );
  }

  /** One author's posts and reposts the viewer may see, over `posts_user_created_idx`. */
  authorPage(viewer: AuthUser | undefined, authorId: string, cursor: Keyset | undefined, limit: number): Promise<PostRow[]> {
    const c = postsBefore(cursor);
    const visible = this.policy.visibleSql(viewer);
    return this.pageRows(
      `select ${POST_COLUMNS} ${POST_FROM}
        where p.user_id = ? and ${visible.sql} ${c.sql}
        order by p.created_at desc, p.id desc limit ?`,
      [authorId, ...visible.params, ...c.params, limit],
    );
  }
}
