import { Injectable } from '@nestjs/common';
import { AuthUser } from '@/common/auth/auth-user';
import { column, value } from '@/common/database/sql-fragment';
import { decodeCursor, Page, PageQuery, toPage } from '@/common/http/pagination';
import { EntitlementsService } from '@/modules/billing/entitlements/entitlements.service';
import { PostResponse } from '@/modules/posts/dto/post.dto';
import { Visibility } from '@/modules/posts/entities/post.entity';
import { PostAccessPolicy } from '@/modules/posts/post-access.policy';
import { PostViewsService } from '@/modules/posts/post-views.service';
import { SocialService } from '@/modules/social/social.service';
import { UsersService } from '@/modules/users/users.service';
import { TimelinePages } from './timeline-pages';

/**
 * Timelines are computed on read from the composite keyset indexes (fan-out on read): every page is one indexed
 * query (TimelinePages), then the batched post rendering. See the README's "Timelines" section for the design and
 * its numbers.
 */
@Injectable()
export class FeedsService {
  constructor(
    private readonly pages: TimelinePages,
    private readonly views: PostViewsService,
    private readonly users: UsersService,
    private readonly social: SocialService,
    private readonly entitlements: EntitlementsService,
    private readonly policy: PostAccessPolicy,
  ) {}

  async home(viewer: AuthUser, query: PageQuery): Promise<Page<PostResponse>> {
    const followingCount = await this.users.activeFollowingCount(viewer.id);
    const access = this.entitlements.subscriberAccessSql(value(viewer.id), column('p.user_id'));
    const rows = await this.pages.homePage(viewer.id, followingCount, decodeCursor(query.cursor), query.limit + 1, access);
    return this.views.page(viewer, rows, query.limit);
  }

  async public(viewer: AuthUser | undefined, query: PageQuery): Promise<Page<PostResponse>> {
    const rows = await this.pages.publicPage(viewer?.id, decodeCursor(query.cursor), query.limit + 1);
    return this.views.page(viewer, rows, query.limit);
  }

  /**
   * Public posts with the tag. A post locked for the viewer is placed under a tag only by its visible text (the
   * `preview`): its hidden content's hashtags would answer guesses about what it says.
   */
  async tag(viewer: AuthUser | undefined, tag: string, query: PageQuery): Promise<Page<PostResponse>> {
    const name = tag.replace(/^#/, '').toLowerCase();
    const rows = await this.pages.tagPage(name, viewer?.id, decodeCursor(query.cursor), query.limit + 1);
    return this.views.taggedPage(viewer, rows, query.limit, [name]);
  }

  /** One author's posts in the visibilities the viewer is entitled to; nothing across a block. */
  async author(viewer: AuthUser | undefined, username: string, query: PageQuery): Promise<Page<PostResponse>> {
    const author = await this.users.getActiveByUsername(username);
    const visibilities = await this.visibleTo(viewer, author.id);
    if (!visibilities.length) return { data: [], next_cursor: null };
    const rows = await this.pages.authorPage(author.id, visibilities, decodeCursor(query.cursor), query.limit + 1);
    return this.views.page(viewer, rows, query.limit);
  }

  private async visibleTo(viewer: AuthUser | undefined, authorId: string): Promise<Visibility[]> {
    if (viewer?.id === authorId) return ['public', 'followers', 'subscribers'];
    if (!viewer) return ['public'];
    const [relationship, blocked] = await Promise.all([
      this.social.relationship(viewer.id, authorId),
      this.social.isBlockedEitherWay(viewer.id, authorId),
    ]);
    if (blocked) return [];
    return [
      'public',
      ...(relationship.following ? (['followers'] as const) : []),
      ...(relationship.subscribed ? (['subscribers'] as const) : []),
    ];
  }
}
