import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuthUser } from '@/common/auth/auth-user';
import { OutboxService } from '@/common/outbox/outbox.service';
import { PayoutAccountsService } from '@/modules/billing/payouts/payout-accounts.service';
import { MediaService } from '@/modules/media/media.service';
import { User } from '@/modules/users/entities/user.entity';
import { UsersService } from '@/modules/users/users.service';
import { CreatePostDto } from './dto/post.dto';
import { Post } from './entities/post.entity';
import { PostAccessPolicy } from './post-access.policy';
import { PostContentService } from './post-content.service';
import { PostRow } from './post-row';
import { PostsErrors } from './posts.errors';
import { PostsRepository } from './repositories/posts.repository';

/**
 * A post its author may still change: neither deleted nor removed by a moderator. A removed post is frozen for
 * everyone (the audit keeps it as it was removed), so edits and deletes find nothing: 404, and nothing written.
 */
const WRITABLE = (id: string) => ({ id, deletedAt: null, removedAt: null });

/**
 * Writing posts: create (with replies, media and the events that follow), edit and soft delete. Each answers the
 * post's id; the caller renders the answer through PostsService (one read path for every response).
 */
@Injectable()
export class PostAuthoringService {
  constructor(
    private readonly posts: PostsRepository,
    private readonly policy: PostAccessPolicy,
    private readonly content: PostContentService,
    private readonly media: MediaService,
    private readonly outbox: OutboxService,
    private readonly users: UsersService,
    private readonly payouts: PayoutAccountsService,
  ) {}

  /** A new transaction; the repository's entity manager is the app's one (no extra dependency for it). */
  private transactional<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.posts.getEntityManager().fork().transactional(work);
  }

  async create(actor: AuthUser, dto: CreatePostDto): Promise<string> {
    const content = dto.content ?? '';
    if (!content.trim() && !dto.media_ids?.length) throw PostsErrors.emptyPost();
    const parent = dto.reply_to_id ? (await this.policy.requireVisible(actor, [dto.reply_to_id]))[0].row : undefined;
    if (parent?.repost_of_id) throw PostsErrors.notFound();
    const rendered = await this.content.render(content);
    const isPremium = dto.is_premium === true || dto.price_cents !== undefined;
    // A price is money someone will pay: with CONNECT_REQUIRED=true, only to a creator Stripe can pay out to.
    if (dto.price_cents !== undefined) await this.payouts.assertCanSell(actor.id);

    return this.transactional(async (em) => {
      const post = em.create(Post, {
        author: em.getReference(User, actor.id),
        content,
        contentHtml: rendered.html,
        replyTo: parent ? em.getReference(Post, parent.id) : null,
        rootPost: parent ? em.getReference(Post, parent.root_post_id ?? parent.id) : null,
        visibility: dto.visibility ?? 'public',
        isPremium,
        priceCents: dto.price_cents ?? null,
        preview: dto.preview ?? null,
        metadata: { mentions: rendered.mentionedIds, hashtags: rendered.hashtags },
      });
      await this.media.attachToPost(em, actor.id, post.id, dto.media_ids ?? []);
      await em.flush();
      await this.content.tag(em, post.id, post.createdAt, rendered.hashtags, post.preview ?? null);
      // Lock order: posts rows, then the author's users row, as a repost takes them (the original's counter, then the
      // reposter's posts_count). The other way round, a reply and a repost of one post by one user at the same moment
      // deadlocked (the soak's 500 on a reply, issue 24).
      await this.posts.bumpReplies(em, parent?.id, 1);
      await this.users.adjustPostsCount(em, actor.id, 1);
      this.recordCreated(em, post, actor.id, parent, rendered.mentionedIds);
      return post.id;
    });
  }

  private recordCreated(em: EntityManager, post: Post, authorId: string, parent: PostRow | undefined, mentionedIds: string[]): void {
    if (parent && parent.user_id !== authorId) {
      this.outbox.record(em, 'post.replied', { postId: parent.id, replyId: post.id, userId: authorId, authorId: parent.user_id });
    }
    const mentioned = mentionedIds.filter((id) => id !== authorId);
    if (mentioned.length) this.outbox.record(em, 'post.mentioned', { postId: post.id, userId: authorId, mentionedUserIds: mentioned });
    if (post.isPremium) this.outbox.record(em, 'premium_post.published', { postId: post.id, authorId });
  }

  async update(actor: AuthUser, id: string, content: string): Promise<string> {
    const post = await this.posts.findOne(WRITABLE(id));
    if (!post) throw PostsErrors.notFound();
    if (post.author.id !== actor.id) await this.refuseNonAuthor(actor, id);
    if (post.repostOf) throw PostsErrors.repostNotEditable();
    const rendered = await this.content.render(content);
    await this.transactional(async (em) => {
      const updated = await em.nativeUpdate(Post, WRITABLE(id), {
        content,
        contentHtml: rendered.html,
        editedAt: new Date(),
        metadata: { ...(post.metadata ?? {}), mentions: rendered.mentionedIds, hashtags: rendered.hashtags },
      });
      // Removed or deleted since it was read: nothing is written (the tags neither), as if it had been gone already.
      if (!updated) throw PostsErrors.notFound();
      await this.content.tag(em, post.id, post.createdAt, rendered.hashtags, post.preview ?? null);
    });
    return id;
  }

  /** Soft delete: replies stay and keep their `reply_to_id`; the post answers 404 from now on. */
  async remove(actor: AuthUser, id: string): Promise<void> {
    const post = await this.posts.findOne(WRITABLE(id));
    if (!post) throw PostsErrors.notFound();
    if (post.author.id !== actor.id && actor.role !== 'admin') await this.refuseNonAuthor(actor, id);
    await this.transactional(async (em) => {
      const deleted = await em.nativeUpdate(Post, WRITABLE(id), { deletedAt: new Date() });
      if (!deleted) throw PostsErrors.notFound(); // a concurrent delete or a moderator's removal won
      // Posts rows, then the author's users row: the lock order of every write that moves both (see `create`).
      await this.posts.bumpReplies(em, post.replyTo?.id, -1);
      if (post.repostOf) await em.execute('update posts set retweets_count = greatest(retweets_count - 1, 0) where id = ?', [post.repostOf.id]);
      await this.users.adjustPostsCount(em, post.author.id, -1);
    });
  }

  /** Someone else's post: 403 if the actor may see it, else 404 as if it did not exist. */
  private async refuseNonAuthor(actor: AuthUser, id: string): Promise<never> {
    await this.policy.requireVisible(actor, [id]);
    throw PostsErrors.notAuthor();
  }
}
