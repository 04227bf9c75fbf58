import { Injectable } from '@nestjs/common';
import { AuthUser } from '@/common/auth/auth-user';
import { decodeCursor, Page, PageQuery } from '@/common/http/pagination';
import { PostResponse } from '@/modules/posts/dto/post.dto';
import { PostViewsService } from '@/modules/posts/post-views.service';
import { SocialService } from '@/modules/social/social.service';
import { UsersService } from '@/modules/users/users.service';
import { TimelinePages } from './timeline-pages';

/**
 * Timelines are computed on read from the composite keyset indexes (fan-out on read): every page is one indexed
 * query (TimelinePages), then the batched post rendering. See docs/timelines.md for the design and its numbers.
 */
@Injectable()
export class FeedsService {
  constructor(
    private readonly pages: TimelinePages,
    private readonly views: PostViewsService,
    private readonly users: UsersService,
    private readonly social: SocialService,
  ) {}

  async home(viewer: AuthUser, query: PageQuery): Promise<Page<PostResponse>> {
    const followingCount = await this.users.activeFollowingCount(viewer.id);
    const rows = await this.pages.homePage(viewer, followingCount, decodeCursor(query.cursor), query.limit + 1);
    return this.views.page(viewer, rows, query.limit);
  }

  async public(viewer: AuthUser | undefined, query: PageQuery): Promise<Page<PostResponse>> {
    const rows = await this.pages.publicPage(viewer, decodeCursor(query.cursor), query.limit + 1);
    return this.views.page(viewer, rows, query.limit);
  }

  /**
   * Public posts with the tag. A post locked for the viewer is placed under a tag only by its visible text (the
   * `preview`): its hidden content's hashtags would answer guesses about what it says.
   */
  async tag(viewer: AuthUser | undefined, tag: string, query: PageQuery): Promise<Page<PostResponse>> {
    const name = tag.replace(/^#/, '').toLowerCase();
    const rows = await this.pages.tagPage(name, viewer, decodeCursor(query.cursor), query.limit + 1);
    return this.views.taggedPage(viewer, rows, query.limit, [name]);
  }

  /** One author's posts the viewer may see (the policy's `visibleSql` in the page query); nothing across a block. */
  async author(viewer: AuthUser | undefined, username: string, query: PageQuery): Promise<Page<PostResponse>> {
    const author = await this.users.getActiveByUsername(username);
    // Not the rule (the page query applies all of it), a short cut: across a block the query would walk every post of
    // the author to find none.
    if (viewer && viewer.id !== author.id && (await this.social.isBlockedEitherWay(viewer.id, author.id))) return { data: [], next_cursor: null };
    const rows = await this.pages.authorPage(viewer, author.id, decodeCursor(query.cursor), query.limit + 1);
    return this.views.page(viewer, rows, query.limit);
  }
}
