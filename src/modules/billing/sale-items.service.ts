import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import Stripe from 'stripe';
import { MESSAGES_FOR_SALE, MessagesForSale, POSTS_FOR_SALE, PostsForSale } from './billing.ports';
import { SaleKind } from './repositories/post-unlocks.repository';
import { isUuid } from './stripe/stripe-objects';
import { StripeClient } from './stripe/stripe.client';
import { tipOf } from './tip-for';

/** A one-time purchase as a payment's metadata names it: what was bought, by whom, and who sold it. */
export interface SaleOf {
  kind: SaleKind;
  itemId: string;
  buyerId: string;
  sellerId: string;
}

/** The metadata key that names each kind of purchase on a session and its payment intent. */
export const SALE_METADATA_KEY: Record<SaleKind, 'post_id' | 'message_id'> = { post: 'post_id', message: 'message_id' };

/**
 * What a one-time payment bought, from the metadata set at checkout (`post_id` or `message_id`, and the buyer): the
 * webhook's completions, refunds and disputes of posts and messages alike. Read in the caller's transaction.
 */
@Injectable()
export class SaleItems {
  private readonly logger = new Logger(SaleItems.name);

  constructor(
    @Inject(POSTS_FOR_SALE) private readonly posts: PostsForSale,
    @Inject(MESSAGES_FOR_SALE) private readonly messages: MessagesForSale,
    private readonly stripe: StripeClient,
  ) {}

  /** A payment intent as Stripe has it (its metadata names what it paid for), or null when Stripe does not know it. */
  paymentIntent(paymentIntentId: string): Promise<Stripe.PaymentIntent | null> {
    return this.stripe.find('read a payment intent', (stripe) => stripe.paymentIntents.retrieve(paymentIntentId));
  }

  /**
   * The creator a one-time payment pays, from its metadata: a purchase's seller (`of`), or a tip's creator
   * (`tip_for` and `creator_id`, docs/inbox.md#tips). Null when it names none.
   */
  async payeeOf(em: EntityManager, metadata: Record<string, string> | null | undefined, buyerId: string | null | undefined): Promise<string | null> {
    if (metadata?.tip_for) return tipOf(metadata, buyerId)?.creatorId ?? null;
    return (await this.of(em, metadata, buyerId))?.sellerId ?? null;
  }

  /**
   * The sale when the ids are well-formed and the item is still there: a post not deleted, a message not erased (an
   * unsent message still counts: its buyer keeps it). Null otherwise, logged.
   */
  async of(em: EntityManager, metadata: Record<string, string> | null | undefined, buyerId: string | null | undefined): Promise<SaleOf | null> {
    const kind: SaleKind | null = metadata?.message_id ? 'message' : metadata?.post_id ? 'post' : null;
    const itemId = kind && metadata![SALE_METADATA_KEY[kind]];
    if (!kind || !isUuid(itemId) || !isUuid(buyerId)) return null;
    const sellerId = kind === 'post' ? await this.posts.liveAuthorId(em, itemId) : await this.messages.senderId(em, itemId);
    if (!sellerId) {
      this.logger.warn(`payment for ${kind} ${itemId} skipped: it is gone`);
      return null;
    }
    return { kind, itemId, buyerId, sellerId };
  }
}
