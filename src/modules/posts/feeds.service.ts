import { Injectable } from '@nestjs/common';
import { AuthUser } from '@/common/auth/auth-user';
import { decodeCursor, Page, PageQuery } from '@/common/http/pagination';
import { EntitlementsService } from '@/modules/billing/entitlements.service';
import { PostResponse } from './dto/post.dto';
import { Visibility } from './entities/post.entity';
import { PostsService } from './posts.service';
import { PostsRepository } from './repositories/posts.repository';
import { SocialService } from '@/modules/social/social.service';
import { UsersService } from '@/modules/users/users.service';

/**
 * Timelines are computed on read from the composite keyset indexes (fan-out on read): every page is one indexed
 * query, then the batched post rendering. See the README's "Timelines" section for the design and its numbers.
 */
@Injectable()
export class FeedsService {
  constructor(
    private readonly posts: PostsRepository,
    private readonly postsService: PostsService,
    private readonly users: UsersService,
    private readonly social: SocialService,
    private readonly entitlements: EntitlementsService,
  ) {}

  async home(viewer: AuthUser, query: PageQuery): Promise<Page<PostResponse>> {
    const { followingCount } = await this.users.getActive(viewer.id);
    const rows = await this.posts.homePage(viewer.id, followingCount, decodeCursor(query.cursor), query.limit + 1, this.entitlements.graceDays);
    return this.postsService.page(viewer, rows, query.limit);
  }

  async public(viewer: AuthUser | undefined, query: PageQuery): Promise<Page<PostResponse>> {
    const rows = await this.posts.publicPage(viewer?.id, decodeCursor(query.cursor), query.limit + 1);
    return this.postsService.page(viewer, rows, query.limit);
  }

  async tag(viewer: AuthUser | undefined, tag: string, query: PageQuery): Promise<Page<PostResponse>> {
    const rows = await this.posts.tagPage(tag.replace(/^#/, '').toLowerCase(), viewer?.id, decodeCursor(query.cursor), query.limit + 1);
    return this.postsService.page(viewer, rows, query.limit);
  }

  /** One author's posts in the visibilities the viewer is entitled to; nothing across a block. */
  async author(viewer: AuthUser | undefined, username: string, query: PageQuery): Promise<Page<PostResponse>> {
    const author = await this.users.getActiveByUsername(username);
    const visibilities = await this.visibleTo(viewer, author.id);
    if (!visibilities.length) return { data: [], next_cursor: null };
    const rows = await this.posts.authorPage(author.id, visibilities, decodeCursor(query.cursor), query.limit + 1);
    return this.postsService.page(viewer, rows, query.limit);
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
