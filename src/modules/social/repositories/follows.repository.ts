import { EntityManager, EntityRepository } from '@mikro-orm/postgresql';
import { v7 } from 'uuid';
import { executeOnReplica } from '@/common/database/read-replica';
import { column, sql, SqlFragment, value } from '@/common/database/sql-fragment';
import { Keyset } from '@/common/http/pagination';
import { Follow } from '../entities/follow.entity';
import { notBlockedEitherWay } from '../social.predicates';

export interface RelationshipEdges {
  following: boolean;
  followed_by: boolean;
  blocking: boolean;
  blocked_by: boolean;
  muting: boolean;
}

/** A user row of a followers/following page, with the follow's keyset position. */
export interface FollowPageRow {
  follow_id: string;
  followed_at: Date;
  user_id: string;
}

export class FollowsRepository extends EntityRepository<Follow> {
  /** Follows and blocks both ways, mute by the viewer: one round trip over the unique indexes. */
  async relationshipEdges(viewerId: string, targetId: string): Promise<RelationshipEdges> {
    const [row] = await this.getEntityManager().execute<RelationshipEdges[]>(
      `select exists(select 1 from follows where follower_id = ? and following_id = ?) as following,
              exists(select 1 from follows where follower_id = ? and following_id = ?) as followed_by,
              exists(select 1 from blocks where blocker_id = ? and blocked_id = ?) as blocking,
              exists(select 1 from blocks where blocker_id = ? and blocked_id = ?) as blocked_by,
              exists(select 1 from mutes where muter_id = ? and muted_id = ?) as muting`,
      [viewerId, targetId, targetId, viewerId, viewerId, targetId, targetId, viewerId, viewerId, targetId],
    );
    return row;
  }

  /** Of `userIds` (not empty), those the viewer follows: a `select id` to run alone or inside a larger statement. */
  static followingAmongSql(viewerId: string, userIds: string[]): SqlFragment {
    return { sql: 'select following_id as id from follows where follower_id = ? and following_id in (?)', params: [viewerId, userIds] };
  }

  /** Of `userIds`, those the viewer follows. */
  async followingAmong(viewerId: string, userIds: string[]): Promise<Set<string>> {
    if (!userIds.length) return new Set();
    const q = FollowsRepository.followingAmongSql(viewerId, userIds);
    const rows = await this.getEntityManager().execute<{ id: string }[]>(q.sql, [...q.params]);
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Inserts the follow; false when it already existed (the users' counters are the caller's, moved only on true).
   * `created_at` comes from a JS Date (millisecond precision) like the keyset cursors of the followers/following
   * pages: a microsecond `now()` would make follows within the same millisecond skip between pages.
   */
  async follow(em: EntityManager, followerId: string, followingId: string): Promise<boolean> {
    const rows = await em.execute(
      `insert into follows (id, follower_id, following_id, created_at) values (?, ?, ?, ?)
       on conflict (follower_id, following_id) do nothing returning id`,
      [v7(), followerId, followingId, new Date()],
    );
    return rows.length > 0;
  }

  async unfollow(em: EntityManager, followerId: string, followingId: string): Promise<boolean> {
    const rows = await em.execute('delete from follows where follower_id = ? and following_id = ? returning id', [followerId, followingId]);
    return rows.length > 0;
  }

  /**
   * Followers (`side` = 'followers') or followings of `userId`, newest follow first, suspended users left out.
   * On a read replica when there is one: a follow made a moment ago may show a moment later.
   */
  page(side: 'followers' | 'following', userId: string, viewerId: string | undefined, cursor: Keyset | undefined, limit: number): Promise<FollowPageRow[]> {
    const [own, other] = side === 'followers' ? ['following_id', 'follower_id'] : ['follower_id', 'following_id'];
    // A block hides both ways, lists included: nobody across a block with the viewer.
    const unblocked = viewerId ? sql`and ${notBlockedEitherWay(value(viewerId), column(`f.${other}`))}` : sql``;
    return executeOnReplica<FollowPageRow[]>(
      this.getEntityManager(),
      `select f.id as follow_id, f.created_at as followed_at, f.${other} as user_id
         from follows f join users u on u.id = f.${other}
        where f.${own} = ? and u.suspended_at is null ${unblocked.sql}
          ${cursor ? 'and (f.created_at, f.id) < (?, ?)' : ''}
        order by f.created_at desc, f.id desc
        limit ?`,
      [userId, ...unblocked.params, ...(cursor ? [cursor.at, cursor.id] : []), limit],
    );
  }
}
