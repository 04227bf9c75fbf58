import { Injectable } from '@nestjs/common';
import { AuthUser } from '@/common/auth/auth-user';
import { decodeCursor, Page, PageQuery } from '@/common/http/pagination';
import { PostResponse, ThreadResponse } from './dto/post.dto';
import { combine, judgedOf, PostAccessPolicy } from './post-access.policy';
import { PostViewsService } from './post-views.service';
import { PostsRepository } from './repositories/posts.repository';

/** Reads of one post: the post itself, its replies and its thread. Each asks the policy once, then renders once. */
@Injectable()
export class PostsService {
  constructor(
    private readonly posts: PostsRepository,
    private readonly policy: PostAccessPolicy,
    private readonly views: PostViewsService,
  ) {}

  async get(viewer: AuthUser | undefined, id: string): Promise<PostResponse> {
    const [post] = await this.policy.requireVisible(viewer, [id]);
    return this.views.one(viewer, post);
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
