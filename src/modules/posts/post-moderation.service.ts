import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { PostModerationSummary, toPostModerationSummary } from './dto/post-moderation.dto';
import { Post } from './entities/post.entity';
import { PostsRepository } from './repositories/posts.repository';

/** What moderation (reports) needs of posts: removal, and a view of reported posts whatever their visibility. */
@Injectable()
export class PostModerationService {
  constructor(private readonly posts: PostsRepository) {}

  /**
   * A moderator's removal (a report's `remove_post`), in the caller's transaction: the row stays for the audit and the
   * access policy hides it from everyone, its author included. False when it was already removed.
   */
  async remove(em: EntityManager, id: string): Promise<boolean> {
    return (await em.nativeUpdate(Post, { id, removedAt: null }, { removedAt: new Date() })) > 0;
  }

  /** Reported posts as moderators see them, deleted or removed ones included. */
  async summaries(ids: string[]): Promise<Map<string, PostModerationSummary>> {
    const posts = ids.length ? await this.posts.find({ id: { $in: ids } }) : [];
    return new Map(posts.map((p) => [p.id, toPostModerationSummary(p)]));
  }
}
