import { Injectable } from '@nestjs/common';
import { AuthUser } from '@/common/auth/auth-user';
import { decodeCursor, Page } from '@/common/http/pagination';
import { PostResponse } from '@/modules/posts/dto/post.dto';
import { PostViewsService } from '@/modules/posts/post-views.service';
import { PublicUserResponse, toPublicUserResponse } from '@/modules/users/dto/user.response';
import { UsersService } from '@/modules/users/users.service';
import { HashtagResponse, SearchQuery, toHashtagResponse } from './dto/search.dto';
import { decodeRankCursor, encodeRankCursor } from './rank-cursor';
import { SearchRepository } from './repositories/search.repository';
import { displayNameWords, hashtagPrefix, likePrefix, parsePostsQuery, usernamePrefix } from './search-query';

/**
 * `GET /search`: one indexed query per page with the visibility rule inside it (SearchRepository), then the usual
 * batched rendering. Posts go through PostViewsService, whose access policy judges every row once more.
 */
@Injectable()
export class SearchService {
  constructor(
    private readonly search: SearchRepository,
    private readonly views: PostViewsService,
    private readonly users: UsersService,
  ) {}

  run(viewer: AuthUser | undefined, query: SearchQuery): Promise<Page<PostResponse | PublicUserResponse | HashtagResponse>> {
    if (query.type === 'posts') return this.postsPage(viewer, query);
    if (query.type === 'users') return this.usersPage(viewer, query);
    return this.hashtagsPage(query);
  }

  private async postsPage(viewer: AuthUser | undefined, query: SearchQuery): Promise<Page<PostResponse>> {
    const parsed = parsePostsQuery(query.q);
    const cursor = decodeCursor(query.cursor);
    if (!parsed.text && !parsed.tags.length && !parsed.authors.length) return { data: [], next_cursor: null };
    const rows = await this.search.posts(viewer, parsed, cursor, query.limit + 1);
    return this.views.taggedPage(viewer, rows, query.limit, parsed.tags);
  }

  private async usersPage(viewer: AuthUser | undefined, query: SearchQuery): Promise<Page<PublicUserResponse>> {
    const cursor = decodeRankCursor(query.cursor, ['int', 'int', 'uuid'] as const);
    const prefix = usernamePrefix(query.q);
    const match = { prefix: prefix && likePrefix(prefix), exact: prefix, words: displayNameWords(query.q) };
    const hits = await this.search.users(viewer?.id, match, cursor, query.limit + 1);
    const page = hits.slice(0, query.limit);
    const byId = new Map((await this.users.findActiveByIds(page.map((h) => h.id))).map((u) => [u.id, u]));
    const last = page[page.length - 1];
    return {
      data: page.filter((h) => byId.has(h.id)).map((h) => toPublicUserResponse(byId.get(h.id)!)),
      next_cursor: hits.length > query.limit ? encodeRankCursor([last.exact, last.followers_count, last.id]) : null,
    };
  }

  private async hashtagsPage(query: SearchQuery): Promise<Page<HashtagResponse>> {
    const cursor = decodeRankCursor(query.cursor, ['int', 'tag'] as const);
    const prefix = hashtagPrefix(query.q);
    if (!prefix) return { data: [], next_cursor: null };
    const rows = await this.search.hashtags(likePrefix(prefix), cursor, query.limit + 1);
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      data: page.map(toHashtagResponse),
      next_cursor: rows.length > query.limit ? encodeRankCursor([last.posts_count, last.name]) : null,
    };
  }
}
