import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuthUser } from '@/common/auth/auth-user';
import { executeOnReplica } from '@/common/database/read-replica';
import { column, joinSql, SqlFragment, sql, text, value } from '@/common/database/sql-fragment';
import { Keyset } from '@/common/http/pagination';
import { PostAccessPolicy } from '@/modules/posts/post-access.policy';
import { POST_COLUMNS, POST_FROM, PostRow } from '@/modules/posts/post-row';
import { notBlockedEitherWay, notMuted } from '@/modules/social/social.predicates';
import { PostsQuery } from '../search-query';

export interface UserHit {
  id: string;
  exact: number;
  followers_count: number;
}

export interface HashtagHit {
  name: string;
  posts_count: number;
  last_used_at: Date;
}

/**
 * The time windows (days before the cursor, or now) a posts search tries in turn, then no bound. PostgreSQL cannot
 * order a GIN match by time: without a bound, two common words (11,000 matches at 1M posts) cost a heap fetch per
 * match and a sort. Within a window the planner walks the `created_at` index and stops at a full page; a rare word
 * still goes through the GIN index, window or not. Measured in docs/search.md.
 */
export const SEARCH_WINDOWS_DAYS = [3, 30, 180];

/**
 * One plain word and nothing else: PostgreSQL's statistics on `search_vector` know how common a single word is, so it
 * picks well between walking `created_at` (a common word) and the GIN index (a rare one); a window would only tempt
 * it into intersecting the whole GIN posting list of a common word with the window.
 */
function singleWord(q: PostsQuery): boolean {
  return !q.authors.length && /^[\p{L}\p{N}]+$/u.test(q.text.trim());
}

/**
 * The words of a premium post's content, as the `posts_premium_search_idx` expression index holds them (migration
 * 20261207190000): `search_vector` holds only a premium post's preview, so that nobody finds it by words they may not
 * read; this one is matched only together with the access policy's `readableSql`.
 */
const PREMIUM_WORDS = `to_tsvector('simple'::regconfig, public.search_fold(p.content))`;

/**
 * The search queries (docs/search.md has their plans at 1M posts). Each answers one page, `limit` rows, with the
 * visibility rule inside the query: a post or user the searcher may not see is never a row, so pages are never short
 * and nothing is filtered after the LIMIT. Pages read the replica when there is one, as the timelines do.
 */
@Injectable()
export class SearchRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly policy: PostAccessPolicy,
  ) {}

  private run<T extends object>(query: SqlFragment): Promise<T[]> {
    return executeOnReplica<T[]>(this.em, query.sql, [...query.params]);
  }

  /**
   * Posts matching every part of `q`, newest first. With a hashtag the walk follows that tag's uses
   * (`post_hashtags_tag_created_idx`); a single word goes to the planner as is (see singleWord). Otherwise the query
   * runs over growing time windows before the cursor (see SEARCH_WINDOWS_DAYS): the first window holding a full page
   * answers, and its rows are the newest matches overall.
   */
  async posts(searcher: AuthUser | undefined, q: PostsQuery, cursor: Keyset | undefined, limit: number): Promise<PostRow[]> {
    if (q.authors.length > 1) return [];
    if (q.tags.length || singleWord(q)) return this.run<PostRow>(this.postsQuery(searcher, q, cursor, limit, undefined));
    const newest = cursor?.at ?? new Date();
    let rows: PostRow[] = [];
    for (const days of [...SEARCH_WINDOWS_DAYS, undefined]) {
      const since = days === undefined ? undefined : new Date(newest.getTime() - days * 86_400_000);
      rows = await this.run<PostRow>(this.postsQuery(searcher, q, cursor, limit, since));
      if (rows.length >= limit) break;
    }
    return rows;
  }

  private postsQuery(searcher: AuthUser | undefined, q: PostsQuery, cursor: Keyset | undefined, limit: number, since: Date | undefined): SqlFragment {
    const [driving, ...otherTags] = q.tags;
    const key = driving ? { at: column('ph.created_at'), id: column('ph.post_id') } : { at: column('p.created_at'), id: column('p.id') };
    const where: SqlFragment[] = [this.policy.visibleSql(searcher), text('p.repost_of_id is null')];
    // Muting is no part of visibility (a muted author's post opens by id), but it keeps the author out of searches.
    if (searcher) where.push(notMuted(value(searcher.id), column('p.user_id')));
    if (q.text) where.push(this.matchesText(searcher, q.text));
    if (q.authors.length) where.push(sql`p.user_id = (select id from users where lower(username) = ${value(q.authors[0])} and suspended_at is null)`);
    // A locked post's tags are in its hidden content: it is found by a tag only when the preview names it too (a
    // coarse match on the preview's words here; SearchService keeps only previews that carry the tag itself).
    for (const tag of q.tags) where.push(sql`(${this.policy.readableSql(searcher)} or p.search_vector @@ phraseto_tsquery('simple', public.search_fold(${value(tag)})))`);
    for (const tag of otherTags) {
      where.push(sql`exists (select 1 from post_hashtags t join hashtags h on h.id = t.hashtag_id where t.post_id = p.id and h.name = ${value(tag)})`);
    }
    if (since) where.push(sql`p.created_at >= ${value(since)}`);
    if (cursor) where.push(sql`(${key.at}, ${key.id}) < (${value(cursor.at)}, ${value(cursor.id)})`);
    const from = driving
      ? sql`from post_hashtags ph join posts p on p.id = ph.post_id join users u on u.id = p.user_id
             where ph.hashtag_id = (select id from hashtags where name = ${value(driving)}) and`
      : text(`${POST_FROM} where`);
    return sql`select ${text(POST_COLUMNS)} ${from} ${joinSql(where, ' and ')}
      order by ${key.at} desc, ${key.id} desc limit ${value(limit)}`;
  }

  /**
   * The words match what the searcher may read of the post: its content (`search_vector`: a premium post's preview
   * only), or a premium post's content when the policy says the searcher may read it (author, subscriber, buyer).
   */
  private matchesText(searcher: AuthUser | undefined, words: string): SqlFragment {
    const query = sql`websearch_to_tsquery('simple', public.search_fold(${value(words)}))`;
    const visibleWords = sql`p.search_vector @@ ${query}`;
    if (!searcher) return visibleWords;
    return sql`(${visibleWords} or (p.is_premium and ${text(PREMIUM_WORDS)} @@ ${query} and ${this.policy.readableSql(searcher)}))`;
  }

  /**
   * Users whose username starts with `prefix` or whose display name has a word starting with each of `words` (accents
   * and case folded; trigram indexes), ranked: the exact username first, then by followers. Nobody across a block.
   */
  users(
    viewerId: string | undefined,
    match: { prefix?: string; exact?: string; words: string[] },
    cursor: readonly [number, number, string] | undefined,
    limit: number,
  ): Promise<UserHit[]> {
    const branches: SqlFragment[] = [];
    if (match.prefix) branches.push(sql`lower(u.username) like ${value(match.prefix)}`);
    if (match.words.length) {
      // Each word starts a word of the display name (the leading space lets pg_trgm anchor its trigrams).
      const starts = (w: string) =>
        sql`(public.search_fold(u.display_name) like public.search_fold(${value(w)}) || '%' or public.search_fold(u.display_name) like '% ' || public.search_fold(${value(w)}) || '%')`;
      branches.push(joinSql(match.words.map(starts), ' and '));
    }
    if (!branches.length) return Promise.resolve([]);
    const exact = sql`(lower(u.username) = ${value(match.exact ?? '')})::int`;
    const where: SqlFragment[] = [text('u.suspended_at is null'), sql`(${joinSql(branches, ' or ')})`];
    if (viewerId) where.push(notBlockedEitherWay(value(viewerId), column('u.id')));
    if (cursor) where.push(sql`(${exact}, u.followers_count, u.id) < (${value(cursor[0])}, ${value(cursor[1])}, ${value(cursor[2])})`);
    return this.run<UserHit>(sql`select u.id, ${exact} as exact, u.followers_count from users u where ${joinSql(where, ' and ')}
      order by 2 desc, u.followers_count desc, u.id desc limit ${value(limit)}`);
  }

  /** Hashtags with public uses starting with `prefix` (a LIKE pattern), most used first, then by name. */
  hashtags(prefix: string, cursor: readonly [number, string] | undefined, limit: number): Promise<HashtagHit[]> {
    const after = cursor ? sql`and (posts_count < ${value(cursor[0])} or (posts_count = ${value(cursor[0])} and name > ${value(cursor[1])}))` : text('');
    return this.run<HashtagHit>(sql`select name, posts_count, last_used_at from hashtag_stats
      where name like ${value(prefix)} ${after} order by posts_count desc, name limit ${value(limit)}`);
  }
}
