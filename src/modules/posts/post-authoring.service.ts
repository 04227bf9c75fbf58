import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuthUser } from '@/common/auth/auth-user';
import { PayoutAccountsService } from '@/modules/payouts/payout-accounts.service';
import { MediaService } from '@/modules/media/media.service';
import { User } from '@/modules/users/entities/user.entity';
import { CreatePostDto, UpdatePostDto } from './dto/post.dto';
import { Post } from './entities/post.entity';
import { PostAccessPolicy } from './post-access.policy';
import { PostContentService } from './post-content.service';
import { PostEffectsService } from './post-effects.service';
import { PostsErrors } from './posts.errors';
import { PostsRepository } from './repositories/posts.repository';

/**
/**
 * A post its author may still change: neither deleted nor removed by a moderator. A removed post is frozen for
 * everyone (the audit keeps it as it was removed), so edits and deletes find nothing: 404, and nothing written.
 */
const WRITABLE = (id: string) => ({ id, deletedAt: null, removedAt: null });

/**
 * Writing posts: create (with replies and media), edit and soft delete; the counters and events that follow are
 * PostEffectsService's. Each answers the post's id; the caller renders the answer through PostsService (one read path
 * for every response).
 */
@Injectable()
export class PostAuthoringService {
  constructor(
    private readonly posts: PostsRepository,
    private readonly policy: PostAccessPolicy,
    private readonly content: PostContentService,
    private readonly media: MediaService,
    private readonly payouts: PayoutAccountsService,
    private readonly effects: PostEffectsService,
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
    const isPremium = dto.is_premium === true || dto.price_cents !== undefined || dto.min_tier_id !== undefined;
    if (dto.min_tier_id !== undefined) await this.requireOwnTier(actor, dto.min_tier_id);
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
        minTierId: dto.min_tier_id ?? null,
        preview: dto.preview ?? null,
        metadata: { mentions: rendered.mentionedIds, hashtags: rendered.hashtags },
      });
      await this.media.attachToPost(em, actor.id, post.id, dto.media_ids ?? []);
      await em.flush();
      await this.content.tag(em, post.id, post.createdAt, rendered.hashtags, post.preview ?? null);
      await this.effects.created(em, post, actor.id, parent, rendered.mentionedIds);
      return post.id;
    });
  }

  async update(actor: AuthUser, id: string, dto: UpdatePostDto): Promise<string> {
    const post = await this.posts.findOne(WRITABLE(id));
    if (!post) throw PostsErrors.notFound();
    if (post.author.id !== actor.id) await this.refuseNonAuthor(actor, id);
    if (post.repostOf) throw PostsErrors.repostNotEditable();
    if (dto.min_tier_id) await this.requireOwnTier(actor, dto.min_tier_id);
    // A tier makes the post premium; clearing it (null) opens it to any subscriber, still premium.
    const tier = dto.min_tier_id === undefined ? {} : { minTierId: dto.min_tier_id, ...(dto.min_tier_id ? { isPremium: true } : {}) };
    const rendered = dto.content === undefined ? undefined : await this.content.render(dto.content);
    await this.transactional(async (em) => {
      const updated = await em.nativeUpdate(Post, WRITABLE(id), {
        ...tier,
        ...(rendered && {
          content: dto.content,
          contentHtml: rendered.html,
          editedAt: new Date(),
          metadata: { ...(post.metadata ?? {}), mentions: rendered.mentionedIds, hashtags: rendered.hashtags },
        }),
      });
      // Removed or deleted since it was read: nothing is written (the tags neither), as if it had been gone already.
      if (!updated) throw PostsErrors.notFound();
      if (rendered) await this.content.tag(em, post.id, post.createdAt, rendered.hashtags, post.preview ?? null);
    });
    return id;
  }

  /** A post's `min_tier_id` must be one of its author's non-archived tiers (billing's, read through the policy's entitlements). */
  private async requireOwnTier(actor: AuthUser, tierId: string): Promise<void> {
    if (!(await this.policy.isLiveTierOf(actor.id, tierId))) throw PostsErrors.notOwnTier();
  }

  /** Soft delete: replies stay and keep their `reply_to_id`; the post answers 404 from now on. */
  async remove(actor: AuthUser, id: string): Promise<void> {
    const post = await this.posts.findOne(WRITABLE(id));
    if (!post) throw PostsErrors.notFound();
    if (post.author.id !== actor.id && actor.role !== 'admin') await this.refuseNonAuthor(actor, id);
    await this.transactional(async (em) => {
      const deleted = await em.nativeUpdate(Post, WRITABLE(id), { deletedAt: new Date() });
      if (!deleted) throw PostsErrors.notFound(); // a concurrent delete or a moderator's removal won
      await this.effects.deleted(em, post);
    });
  }

  /** Someone else's post: 403 if the actor may see it, else 404 as if it did not exist. */
  private async refuseNonAuthor(actor: AuthUser, id: string): Promise<never> {
    await this.policy.requireVisible(actor, [id]);
    throw PostsErrors.notAuthor();
  }
}
