import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { executeOnReplica } from '@/common/database/read-replica';
import { column, joinSql, SqlFragment, sql, value } from '@/common/database/sql-fragment';
import { PostAccessPolicy } from '@/modules/posts/post-access.policy';
import { notBlockedOrMuted } from '@/modules/social/social.predicates';

export interface TrendingRow {
  name: string;
  authors_count: number;
  posts_count: number;
}

/** How far the suggestions look: the viewer's latest followees, and each one's latest follows (bounded work). */
export const SUGGESTION_FOLLOWEES = 200;
export const SUGGESTION_FOLLOWS_EACH = 50;
/** How many trending hashtags the job keeps (the route answers at most 20). */
const TRENDING_KEPT = 100;

@Injectable()
export class DiscoveryRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly policy: PostAccessPolicy,
  ) {}

  /**
   * A hashtag use counts when its post is open to anyone (the access policy's `openSql`: live, not removed by a
   * moderator, public, not premium, whose tags are in the hidden content, its author active) and not a repost.
   */
  private publicUse(): SqlFragment {
    return sql`${this.policy.openSql()} and p.repost_of_id is null`;
  }

  /**
   * Rewrites `trending_tags` from the last 24 hours of hashtag uses (`post_hashtags_created_idx`): distinct authors of
   * public posts per tag. One transaction, so readers see the old list or the new one.
   */
  async refreshTrending(em: EntityManager): Promise<number> {
    await em.execute('delete from trending_tags');
    const use = this.publicUse();
    const rows = await em.execute(
      `insert into trending_tags (hashtag_id, name, authors_count, posts_count, computed_at)
       select h.id, h.name, count(distinct p.user_id)::int, count(*)::int, now()
         from post_hashtags ph join posts p on p.id = ph.post_id join users u on u.id = p.user_id join hashtags h on h.id = ph.hashtag_id
        where ph.created_at > now() - interval '24 hours' and ph.created_at <= now() and ${use.sql}
        group by h.id, h.name
        order by 3 desc, 4 desc, h.name
        limit ${TRENDING_KEPT}
       returning hashtag_id`,
      [...use.params],
    );
    return rows.length;
  }

  /**
   * Rewrites `hashtag_stats`: every hashtag's public uses and its latest. A pass over `post_hashtags` joined to
   * `posts` (seconds at 1M posts), hence run hourly only (DiscoveryProcessor); `touchRecentHashtags` keeps new tags
   * and `last_used_at` current in between.
   */
  async refreshHashtagStats(em: EntityManager): Promise<void> {
    await em.execute('delete from hashtag_stats');
    const use = this.publicUse();
    await em.execute(
      `insert into hashtag_stats (hashtag_id, name, posts_count, last_used_at)
       select h.id, h.name, s.n, s.last
         from (select ph.hashtag_id, count(*)::int as n, max(ph.created_at) as last
                 from post_hashtags ph join posts p on p.id = ph.post_id join users u on u.id = p.user_id
                where ${use.sql}
                group by ph.hashtag_id) s
         join hashtags h on h.id = s.hashtag_id`,
      [...use.params],
    );
  }

  /**
   * Between full rebuilds: every hashtag with public uses in the last 24 hours gets a row (a new tag shows up within a
   * refresh), its `last_used_at` moves on, and its count is at least those 24 hours' uses. The trending window's cost.
   */
  async touchRecentHashtags(em: EntityManager): Promise<void> {
    const use = this.publicUse();
    await em.execute(
      `insert into hashtag_stats (hashtag_id, name, posts_count, last_used_at)
       select h.id, h.name, count(*)::int, max(ph.created_at)
         from post_hashtags ph join posts p on p.id = ph.post_id join users u on u.id = p.user_id join hashtags h on h.id = ph.hashtag_id
        where ph.created_at > now() - interval '24 hours' and ph.created_at <= now() and ${use.sql}
        group by h.id, h.name
       on conflict (hashtag_id) do update
         set posts_count = greatest(hashtag_stats.posts_count, excluded.posts_count),
             last_used_at = greatest(hashtag_stats.last_used_at, excluded.last_used_at)`,
      [...use.params],
    );
  }

  trending(limit: number): Promise<TrendingRow[]> {
    return executeOnReplica<TrendingRow[]>(
      this.em,
      'select name, authors_count, posts_count from trending_tags order by authors_count desc, posts_count desc, name limit ?',
      [limit],
    );
  }

  /**
   * Accounts to follow, best first: those followed by the most of the viewer's followees (the latest
   * SUGGESTION_FOLLOWEES followees, SUGGESTION_FOLLOWS_EACH latest follows of each: at most 10,000 rows whatever the
   * viewer follows), then the most followed accounts. Never the viewer, someone they follow, block, are blocked by or mute.
   */
  async suggestions(viewerId: string, limit: number): Promise<string[]> {
    const v = value(viewerId);
    const eligible = (name: string): SqlFragment =>
      joinSql(
        [
          sql`${column(name)} <> ${v}`,
          sql`not exists (select 1 from follows mine where mine.follower_id = ${v} and mine.following_id = ${column(name)})`,
          notBlockedOrMuted(v, column(name)),
        ],
        ' and ',
      );
    const query = sql`with followees as (
           select f.following_id as id from follows f where f.follower_id = ${v}
            order by f.created_at desc, f.id desc limit ${value(SUGGESTION_FOLLOWEES)}),
         friends_of_friends as (
           select ff.following_id as id, count(*)::int as weight
             from followees fe cross join lateral (
               select f.following_id from follows f where f.follower_id = fe.id
                order by f.created_at desc, f.id desc limit ${value(SUGGESTION_FOLLOWS_EACH)}) ff
            group by ff.following_id),
         ranked as (
           select c.id, c.weight, u.followers_count from friends_of_friends c join users u on u.id = c.id
            where u.suspended_at is null and ${eligible('c.id')}
            order by c.weight desc, u.followers_count desc, c.id desc limit ${value(limit)}),
         popular as (
           select u.id, 0 as weight, u.followers_count from users u
            where u.suspended_at is null and ${eligible('u.id')}
            order by u.followers_count desc, u.id desc limit ${value(limit)})
       select id from (select id, max(weight) as weight, max(followers_count) as followers_count
                         from (select * from ranked union all select * from popular) c group by id) best
        order by weight desc, followers_count desc, id desc limit ${value(limit)}`;
    const rows = await executeOnReplica<{ id: string }[]>(this.em, query.sql, [...query.params]);
    return rows.map((r) => r.id);
  }
}
