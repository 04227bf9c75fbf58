import { EntityManager } from '@mikro-orm/postgresql';
import { AuthUser } from '@/common/auth/auth-user';

/**
 * What billing needs from posts and social, as billing names it. Posts and social implement these tokens and the app
 * root binds them (`BillingModule.forRoot(config, ports)`), so billing imports neither feature while they may depend
 * on billing's side (entitlements). See docs/module-boundaries.md.
 */

/** A post as a pay-per-view purchase needs it. */
export interface PostForSale {
  id: string;
  authorId: string;
  authorUsername: string;
  /** Null: not for sale. */
  priceCents: number | null;
  currency: string;
}

export interface PostsForSale {
  /** A post the buyer may see; one they may not see is the posts module's `404`, thrown. */
  getVisible(buyer: AuthUser, postId: string): Promise<PostForSale>;
  /** The author of a live (not deleted) post, in the caller's transaction; null when it is gone. */
  liveAuthorId(em: EntityManager, postId: string): Promise<string | null>;
}

export const POSTS_FOR_SALE = Symbol('PostsForSale');

export interface BlockCheck {
  /** Whether either user blocks the other: no subscription between them then. */
  isBlockedEitherWay(a: string, b: string): Promise<boolean>;
}

export const BLOCK_CHECK = Symbol('BlockCheck');
