import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuthUser } from '@/common/auth/auth-user';
import { decodeCursor, Page, PageQuery } from '@/common/http/pagination';
import { PostModerationSummary, toPostModerationSummary } from './dto/post-moderation.dto';
import { PostResponse, ThreadResponse } from './dto/post.dto';
import { Post } from './entities/post.entity';
import { combine, judgedOf, PostAccessPolicy } from './post-access.policy';
import { PostEffectsService } from './post-effects.service';
import { PostViewsService } from './post-views.service';
import { PostsRepository } from './repositories/posts.repository';

/** Reads of one post: the post itself, its replies and its thread. Each asks the policy once, then renders once. */
@Injectable()
export class PostsService {
  constructor(
    private readonly posts: PostsRepository,
    private readonly policy: PostAccessPolicy,
    private readonly views: PostViewsService,
    private readonly effects: PostEffectsService,
  ) {}

  /**
   * A moderator's removal (a report's `remove_post`), in the caller's transaction: the row stays for the audit and the
   * access policy hides it from everyone, its author included. A live post lowers the counters its creation raised, as
   * a deletion does (the author's `posts_count`, the parent's `replies_count`, the original's `retweets_count`); one
   * its author deleted already lowered them, and is only marked. Hashtag counts follow by themselves: the discovery
   * refresh counts open posts only. False when it was already removed. (Removal has no undo.)
   */
  async removeByModerator(em: EntityManager, id: string): Promise<boolean> {
    const removedAt = new Date();
    // The same conditional update as the author's delete: of a removal and a delete racing, one lowers the counters.
    if (await em.nativeUpdate(Post, { id, removedAt: null, deletedAt: null }, { removedAt })) {
      await this.effects.deleted(em, await em.findOneOrFail(Post, { id }));
      return true;
    }
    return (await em.nativeUpdate(Post, { id, removedAt: null }, { removedAt })) > 0;
  }

  /** Reported posts as moderators see them, deleted or removed ones included. */
  async moderationSummaries(ids: string[]): Promise<Map<string, PostModerationSummary>> {
    const posts = ids.length ? await this.posts.find({ id: { $in: ids } }) : [];
    return new Map(posts.map((p) => [p.id, toPostModerationSummary(p)]));
  }

  /** The access check and everything the answer shows (likes, reposts, media) in one round trip after the row's read. */
  async get(viewer: AuthUser | undefined, id: string): Promise<PostResponse> {
    const { posts: [post], answers } = await this.policy.requireVisibleWith(viewer, [id], this.views.questionsFor(viewer));
    return this.views.one(viewer, post, answers);
  }

  async replies(viewer: AuthUser | undefined, id: string, query: PageQuery): Promise<Page<PostResponse>> {
    await this.policy.requireVisible(viewer, [id]);
    const rows = await this.posts.repliesPage(id, decodeCursor(query.cursor), query.limit + 1);
    return this.views.page(viewer, rows, query.limit);
  }

  /** The post, the chain of its parents and every reply below it, rendered in one batch. */
  async thread(viewer: AuthUser | undefined, id: string): Promise<ThreadResponse> {
    const [post] = await this.policy.requireVisible(viewer, [id]);
    const [ancestors, descendants] = await Promise.all([this.posts.ancestors(id), this.posts.descendants(id)]);
    const around = await this.policy.judge(viewer, [...ancestors, ...descendants]);
    const [view, ...rendered] = await this.views.present(viewer, combine(judgedOf([post]), around));
    const ancestorIds = new Set(ancestors.map((a) => a.id));
    return {
      ancestors: rendered.filter((p) => ancestorIds.has(p.id)),
      post: view,
      descendants: rendered.filter((p) => !ancestorIds.has(p.id)),
    };
  }
}
