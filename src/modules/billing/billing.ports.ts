import { EntityManager } from '@mikro-orm/postgresql';
import { AuthUser } from '@/common/auth/auth-user';

/**
 * What billing needs from posts, messages and social, as billing names it. Posts, messages and social implement these tokens and the app
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

/** A paid direct message as its purchase needs it (docs/inbox.md#buying-a-paid-message). */
export interface MessageForSale {
  id: string;
  senderId: string;
  senderUsername: string;
  /** The only one who may buy it. */
  recipientId: string;
  /** Null: not for sale. */
  priceCents: number | null;
  /** The sender's currency: a message has none of its own. */
  currency: string;
}

export interface MessagesForSale {
  /** A message the buyer takes part in and that is not unsent; any other is the messages module's `404`, thrown. */
  getForParticipant(buyer: AuthUser, messageId: string): Promise<MessageForSale>;
  /**
   * The sender of a message, in the caller's transaction, unsent or not (a purchase outlives the unsend); null when
   * the message is gone (erased).
   */
  senderId(em: EntityManager, messageId: string): Promise<string | null>;
}

export const MESSAGES_FOR_SALE = Symbol('MessagesForSale');

/** The one a tip in a conversation pays (docs/inbox.md#tips): the other participant. */
export interface TipRecipient {
  id: string;
  username: string;
  /** The recipient's currency: a tip is paid in it. */
  currency: string;
}

/** Who may be tipped, as the inbox decides it: tips arrive as messages, so the inbox's rules apply. */
export interface TipTargets {
  /**
   * The other participant of a conversation the tipper takes part in; any other conversation is the messages module's
   * `404`, thrown; a block either way or a suspended or deleted account its `403`.
   */
  conversationRecipient(tipper: AuthUser, conversationId: string): Promise<TipRecipient>;
  /** The messages module's `403` when a tip from `tipperId` could not reach `creatorId` (a block either way, a suspended or deleted account). */
  assertMayTip(tipperId: string, creatorId: string): Promise<void>;
}

export const TIP_TARGETS = Symbol('TipTargets');

export interface BlockCheck {
  /** Whether either user blocks the other: no subscription between them then. */
  isBlockedEitherWay(a: string, b: string): Promise<boolean>;
}

export const BLOCK_CHECK = Symbol('BlockCheck');
