import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuthUser } from '@/common/auth/auth-user';
import { PostForSale, PostsForSale } from '@/modules/billing/billing.ports';
import { Post } from './entities/post.entity';
import { PostAccessPolicy } from './post-access.policy';

/** Billing's `POSTS_FOR_SALE` port: posts as a pay-per-view purchase sees them. */
@Injectable()
export class PostsForSaleAdapter implements PostsForSale {
  constructor(private readonly policy: PostAccessPolicy) {}

  async getVisible(buyer: AuthUser, postId: string): Promise<PostForSale> {
    const [{ row }] = await this.policy.requireVisible(buyer, [postId]);
    return { id: row.id, authorId: row.user_id, authorUsername: row.author_username, priceCents: row.price_cents, currency: row.currency };
  }

  async liveAuthorId(em: EntityManager, postId: string): Promise<string | null> {
    const post = await em.findOne(Post, { id: postId, deletedAt: null }, { fields: ['author'] });
    return post?.author.id ?? null;
  }
}
