import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { v7 } from 'uuid';
import { AuthUser } from '@/common/auth/auth-user';
import { decodeCursor, Page, PageQuery, toPage } from '@/common/http/pagination';
import { OutboxService } from '@/common/outbox/outbox.service';
import { PublicUserResponse, toPublicUserResponse } from '@/modules/users/dto/user.response';
import { UsersService } from '@/modules/users/users.service';
import { PostResponse } from './dto/post.dto';
import { PostRow } from './post-row';
import { PostsErrors } from './posts.errors';
import { PostsService } from './posts.service';
import { PostsRepository } from './repositories/posts.repository';

/**
 * Likes and reposts: idempotent, counted once per user by unique indexes, the post's counters moved in the same
 * statement and the reposter's `posts_count` (users') in the same transaction.
 */
@Injectable()
export class PostInteractionsService {
  constructor(
    private readonly em: EntityManager,
    private readonly posts: PostsRepository,
    private readonly postsService: PostsService,
    private readonly users: UsersService,
    private readonly outbox: OutboxService,
  ) {}

  /** The post acted on: a repost stands for its original. */
  private async target(actor: AuthUser, id: string): Promise<PostRow> {
    const { row } = await this.postsService.getVisibleRow(actor, id);
    return row.repost_of_id ? (await this.postsService.getVisibleRow(actor, row.repost_of_id)).row : row;
  }

  async like(actor: AuthUser, id: string): Promise<PostResponse> {
    const post = await this.target(actor, id);
    await this.em.fork().transactional(async (em: EntityManager) => {
      if ((await this.posts.addLike(em, v7(), actor.id, post.id)) && post.user_id !== actor.id) {
        this.outbox.record(em, 'post.liked', { postId: post.id, userId: actor.id, authorId: post.user_id });
      }
    });
    return this.postsService.get(actor, post.id);
  }

  async unlike(actor: AuthUser, id: string): Promise<PostResponse> {
    const post = await this.target(actor, id);
    await this.posts.removeLike(this.em, actor.id, post.id);
    return this.postsService.get(actor, post.id);
  }

  async repost(actor: AuthUser, id: string): Promise<PostResponse> {
    const post = await this.target(actor, id);
    if (post.visibility !== 'public') throw PostsErrors.notRepostable();
    await this.em.fork().transactional(async (em: EntityManager) => {
      const repostId = v7();
      if (!(await this.posts.addRepost(em, repostId, actor.id, post.id))) return;
      await this.users.adjustPostsCount(em, actor.id, 1);
      if (post.user_id !== actor.id) {
        this.outbox.record(em, 'post.reposted', { postId: post.id, repostId, userId: actor.id, authorId: post.user_id });
      }
    });
    return this.postsService.get(actor, post.id);
  }

  async unrepost(actor: AuthUser, id: string): Promise<PostResponse> {
    const post = await this.target(actor, id);
    await this.em.fork().transactional(async (em: EntityManager) => {
      if (await this.posts.removeRepost(em, actor.id, post.id)) await this.users.adjustPostsCount(em, actor.id, -1);
    });
    return this.postsService.get(actor, post.id);
  }

  async likers(viewer: AuthUser | undefined, id: string, query: PageQuery): Promise<Page<PublicUserResponse>> {
    await this.postsService.getVisibleRow(viewer, id);
    const rows = await this.posts.likersPage(id, decodeCursor(query.cursor), query.limit + 1);
    const users = new Map((await this.users.findActiveByIds(rows.map((r) => r.user_id))).map((u) => [u.id, u]));
    return toPage(
      rows.filter((r) => users.has(r.user_id)),
      query.limit,
      (r) => ({ at: new Date(r.liked_at), id: r.like_id }),
      (r) => toPublicUserResponse(users.get(r.user_id)!),
    );
  }
}
