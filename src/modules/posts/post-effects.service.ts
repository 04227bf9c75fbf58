import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { OutboxService } from '@/common/outbox/outbox.service';
import { UserCountersService } from '@/modules/users/user-counters.service';
import { Post } from './entities/post.entity';
import { PostRow } from './post-row';
import { PostsRepository } from './repositories/posts.repository';

/**
 * What follows a post's creation or deletion, in the transaction that inserted or deleted it: the author's
 * `posts_count`, the parent's `replies_count`, a repost's `retweets_count`, and the events others handle (replies,
 * mentions, premium fan-out). Kept apart from PostAuthoringService, which decides and writes the post itself.
 */
@Injectable()
export class PostEffectsService {
  constructor(
    private readonly posts: PostsRepository,
    private readonly users: UserCountersService,
    private readonly outbox: OutboxService,
  ) {}

  async created(em: EntityManager, post: Post, authorId: string, parent: PostRow | undefined, mentionedIds: string[]): Promise<void> {
    // Lock order: posts rows, then the author's users row, as a repost takes them (the original's counter, then the
    // reposter's posts_count). The other way round, a reply and a repost of one post by one user at the same moment
    // deadlocked (the soak's 500 on a reply, issue 24).
    await this.posts.bumpReplies(em, parent?.id, 1);
    await this.users.adjustPostsCount(em, authorId, 1);
    if (parent && parent.user_id !== authorId) {
      this.outbox.record(em, 'post.replied', { postId: parent.id, replyId: post.id, userId: authorId, authorId: parent.user_id });
    }
    const mentioned = mentionedIds.filter((id) => id !== authorId);
    if (mentioned.length) this.outbox.record(em, 'post.mentioned', { postId: post.id, userId: authorId, mentionedUserIds: mentioned });
    if (post.isPremium) this.outbox.record(em, 'premium_post.published', { postId: post.id, authorId, minTierId: post.minTierId ?? null });
  }

  /** Only after the delete changed a row (a concurrent delete that won moved the counters already). */
  async deleted(em: EntityManager, post: Post): Promise<void> {
    // Posts rows, then the author's users row: the lock order of every write that moves both (see `created`).
    await this.posts.bumpReplies(em, post.replyTo?.id, -1);
    if (post.repostOf) await em.execute('update posts set retweets_count = greatest(retweets_count - 1, 0) where id = ?', [post.repostOf.id]);
    await this.users.adjustPostsCount(em, post.author.id, -1);
  }
}
