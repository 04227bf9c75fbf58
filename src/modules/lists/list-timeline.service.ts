import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuthUser } from '@/common/auth/auth-user';
import { executeOnReplica } from '@/common/database/read-replica';
import { column, sql, value } from '@/common/database/sql-fragment';
import { decodeCursor, Keyset, Page, PageQuery } from '@/common/http/pagination';
import { PostResponse } from '@/modules/posts/dto/post.dto';
import { PostAccessPolicy } from '@/modules/posts/post-access.policy';
import { newestOfAuthorsSql, POST_COLUMNS, POST_FROM, postsBefore, PostRow } from '@/modules/posts/post-row';
import { PostViewsService } from '@/modules/posts/post-views.service';
import { notBlockedEitherWay, notMuted, notMutedRepost } from '@/modules/social/social.predicates';
import { ListsService } from './lists.service';

/** Up to this many members, the list timeline probes each member's index (as the home timeline does up to 20 follows). */
export const LIST_PROBE_LIMIT = 20;

/**
 * `GET /timelines/list/:id`: posts and reposts by the list's members that the owner may see, newest first, as the home
 * timeline shows them (docs/lists.md). Members are not necessarily followed, so the page filters with the policy's full
 * `visibleSql` (follows for `followers` posts, subscriber access, blocks either way, suspended authors), plus social's
 * mute predicate and the muted-repost rule; the renderer judges every row again and locks premium content.
 */
@Injectable()
export class ListTimelineService {
  constructor(
    private readonly em: EntityManager,
    private readonly lists: ListsService,
    private readonly policy: PostAccessPolicy,
    private readonly views: PostViewsService,
  ) {}

  async page(viewer: AuthUser, listId: string, query: PageQuery): Promise<Page<PostResponse>> {
    const list = await this.lists.requireOwn(viewer.id, listId);
    const rows = await this.rows(viewer, list.id, list.members_count, decodeCursor(query.cursor), query.limit + 1);
    return this.views.page(viewer, rows, query.limit);
  }

  /**
   * Two plans, as the home timeline's (docs/timelines.md), chosen by the list's size:
   * - few members: one `posts_user_created_idx` probe per member, merged; the members' `suspended_at` comes with them;
   * - more: a backward walk of `idx_posts_created_at` keeping the members' posts (a semi-join on `list_members`' key).
   */
  rows(viewer: AuthUser, listId: string, membersCount: number, cursor: Keyset | undefined, limit: number): Promise<PostRow[]> {
    const c = postsBefore(cursor);
    const mutedRepost = notMutedRepost(value(viewer.id), column('p.repost_of_id'));
    if (membersCount <= LIST_PROBE_LIMIT) {
      const visible = this.policy.visibleSql(viewer, { post: 'p', author: 'a' });
      const reachable = sql`${notMuted(value(viewer.id), column('lm.member_id'))} and ${notBlockedEitherWay(value(viewer.id), column('lm.member_id'))}`;
      const authors = sql`select u.id, u.suspended_at from list_members lm join users u on u.id = lm.member_id
            where lm.list_id = ${value(listId)} and u.suspended_at is null and ${reachable}`;
      const rows = newestOfAuthorsSql(authors, sql`${visible} and ${mutedRepost} ${c}`, limit);
      return executeOnReplica<PostRow[]>(this.em, rows.sql, [...rows.params]);
    }
    const visible = this.policy.visibleSql(viewer);
    const unmuted = notMuted(value(viewer.id), column('p.user_id'));
    return executeOnReplica<PostRow[]>(
      this.em,
      `select ${POST_COLUMNS} ${POST_FROM}
        where p.user_id in (select member_id from list_members where list_id = ?)
          and ${visible.sql}
          and ${unmuted.sql}
          and ${mutedRepost.sql}
          ${c.sql}
        order by p.created_at desc, p.id desc limit ?`,
      [listId, ...visible.params, ...unmuted.params, ...mutedRepost.params, ...c.params, limit],
    );
  }
}
