import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { v7 } from 'uuid';
import { AuthUser } from '@/common/auth/auth-user';
import { decodeCursor, Page, PageQuery, toPage } from '@/common/http/pagination';
import { OutboxService } from '@/common/outbox/outbox.service';
import { PublicUserResponse, toPublicUserResponse } from '@/modules/users/dto/user.response';
import { UserCountersService } from '@/modules/users/user-counters.service';
import { UsersService } from '@/modules/users/users.service';
import { PostResponse } from './dto/post.dto';
import { PostAccessPolicy, VisiblePost } from './post-access.policy';
import { PostViewsService } from './post-views.service';
import { PostsErrors } from './posts.errors';
import { PostsRepository } from './repositories/posts.repository';

/**
 * Likes and reposts: idempotent, counted once per user by unique indexes, the post's counters moved in the same
 * statement and the reposter's `posts_count` (users') in the same transaction. Each checks the post once with the
 * policy (no rendering) and renders only its answer.
 */
@Injectable()
export class PostInteractionsService {
  constructor(
    private readonly posts: PostsRepository,
    private readonly policy: PostAccessPolicy,
    private readonly views: PostViewsService,
    private readonly users: UsersService,
    private readonly outbox: OutboxService,
    private readonly counters: UserCountersService,
  ) {}

  /** The app's entity manager, which the repository shares: no extra dependency for it. */
  private get em(): EntityManager {
    return this.posts.getEntityManager();
  }

  /** The post acted on: a repost stands for its original (judged with it by `requireVisible`). */
  private async target(actor: AuthUser, id: string): Promise<VisiblePost> {
    const [post] = await this.policy.requireVisible(actor, [id]);
    return post.original ? { ...post.original, original: null } : post;
  }

  async like(actor: AuthUser, id: string): Promise<PostResponse> {
    const post = await this.target(actor, id);
    const { id: postId, user_id: authorId } = post.row;
    // One statement (the like, its counter and, for someone else's post, the outbox event): no transaction needed.
    const notify = authorId !== actor.id ? (source: string) => this.outbox.recordIfSql('post.liked', { postId, userId: actor.id, authorId }, source) : undefined;
    await this.posts.addLike(this.em, v7(), actor.id, postId, notify);
    return this.views.answer(actor, post);
  }

  async unlike(actor: AuthUser, id: string): Promise<PostResponse> {
    const post = await this.target(actor, id);
    await this.posts.removeLike(this.em, actor.id, post.row.id);
    return this.views.answer(actor, post);
  }

  async repost(actor: AuthUser, id: string): Promise<PostResponse> {
    const post = await this.target(actor, id);
    const { id: postId, user_id: authorId } = post.row;
    if (post.row.visibility !== 'public') throw PostsErrors.notRepostable();
    await this.em.fork().transactional(async (em: EntityManager) => {
      const repostId = v7();
      if (!(await this.posts.addRepost(em, repostId, actor.id, postId))) return;
      await this.counters.adjustPostsCount(em, actor.id, 1);
      if (authorId !== actor.id) {
        this.outbox.record(em, 'post.reposted', { postId, repostId, userId: actor.id, authorId });
      }
    });
    return this.views.answer(actor, post);
  }

  async unrepost(actor: AuthUser, id: string): Promise<PostResponse> {
    const post = await this.target(actor, id);
    await this.em.fork().transactional(async (em: EntityManager) => {
      if (await this.posts.removeRepost(em, actor.id, post.row.id)) await this.counters.adjustPostsCount(em, actor.id, -1);
    });
    return this.views.answer(actor, post);
  }

  async likers(viewer: AuthUser | undefined, id: string, query: PageQuery): Promise<Page<PublicUserResponse>> {
    await this.policy.requireVisible(viewer, [id]);
    const rows = await this.posts.likersPage(id, viewer?.id, decodeCursor(query.cursor), query.limit + 1);
    const users = new Map((await this.users.findActiveByIds(rows.map((r) => r.user_id))).map((u) => [u.id, u]));
    return toPage(
      rows.filter((r) => users.has(r.user_id)),
      query.limit,
      (r) => ({ at: new Date(r.liked_at), id: r.like_id }),
      (r) => toPublicUserResponse(users.get(r.user_id)!),
    );
  }
}
