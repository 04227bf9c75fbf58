import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import Stripe from 'stripe';
import { OutboxService } from '@/common/outbox/outbox.service';
import { POSTS_FOR_SALE, PostsForSale } from './billing.ports';
import { DuplicatePaymentsService } from './duplicate-payments.service';
import { EarningsRecorder, StripeEventRef } from './earnings/earnings-recorder.service';
import { PostUnlocksRepository } from './repositories/post-unlocks.repository';
import { StripeClient } from './stripe/stripe.client';
import { idOf, isUuid } from './stripe/stripe-objects';

/**
 * Pay-per-view payments as Stripe reports them: a paid checkout unlocks, a second payment for the same post is refunded,
 * a full refund revokes, a dispute suspends access until Stripe closes it.
 */
@Injectable()
export class UnlockPaymentsService {
  private readonly logger = new Logger(UnlockPaymentsService.name);

  constructor(
    private readonly unlocks: PostUnlocksRepository,
    private readonly outbox: OutboxService,
    private readonly stripe: StripeClient,
    @Inject(POSTS_FOR_SALE) private readonly posts: PostsForSale,
    private readonly duplicates: DuplicatePaymentsService,
    private readonly earnings: EarningsRecorder,
  ) {}

  /** A completed payment-mode checkout; `post.unlocked` once, when it newly grants access. */
  async recordPaid(em: EntityManager, session: Stripe.Checkout.Session, event: StripeEventRef): Promise<void> {
    if (session.payment_status === 'unpaid') return; // delayed methods: `checkout.session.async_payment_succeeded` follows
    const authorId = await this.authorOf(em, session.metadata?.post_id, session.client_reference_id);
    if (!authorId) return;
    const postId = session.metadata!.post_id;
    const userId = session.client_reference_id!;
    const paymentIntentId = idOf(session.payment_intent);
    const unlocked = await this.unlocks.recordPaid(em, {
      userId,
      postId,
      priceCents: session.amount_total ?? 0,
      currency: session.currency ?? 'usd',
      checkoutSessionId: session.id,
      paymentIntentId,
    });
    if (unlocked) {
      this.outbox.record(em, 'post.unlocked', { postId, userId, authorId });
    } else {
      // Not a repeat of the same payment but a second one for a post already bought (two checkouts raced): refund it.
      const held = await this.unlocks.paymentIntentOf(em, userId, postId);
      if (paymentIntentId && held && held !== paymentIntentId) await this.duplicates.refundPayment(paymentIntentId);
    }
    // The money moved whether or not this payment unlocks (a duplicate is refunded, and its refund recorded too).
    // The ledger last, after the post_unlocks row, as a refund or dispute of this payment does (the lock order,
    // docs/billing.md#lock-order): written first, a concurrent refund that had inserted the row waited here for the
    // creator's earnings_months row while this job, holding that row, waited for the refund's post_unlocks row.
    await this.earnings.unlockPaid(em, event, session, authorId, userId);
  }

  /** A chargeback opened on a purchase: access is revoked while it runs. */
  async recordDisputeOpened(em: EntityManager, dispute: Stripe.Dispute): Promise<void> {
    const paymentIntentId = idOf(dispute.payment_intent);
    if (paymentIntentId) await this.unlocks.markDisputed(em, paymentIntentId);
  }

  /** A closed chargeback: won (or only a warning) restores access; lost keeps it revoked, as a refund would. */
  async recordDisputeClosed(em: EntityManager, dispute: Stripe.Dispute): Promise<void> {
    const paymentIntentId = idOf(dispute.payment_intent);
    if (!paymentIntentId) return;
    const won = dispute.status === 'won' || dispute.status === 'warning_closed';
    await this.unlocks.settleDispute(em, paymentIntentId, won ? 'paid' : 'refunded');
  }

  /** A fully refunded charge revokes the purchase it paid for (a partial refund keeps access). */
  async recordRefund(em: EntityManager, charge: Stripe.Charge): Promise<void> {
    const paymentIntentId = idOf(charge.payment_intent);
    if (!charge.refunded || !paymentIntentId) return;
    if (await this.unlocks.markRefunded(em, paymentIntentId)) return;
    // No purchase with this payment yet: the refund overtook `checkout.session.completed`, or it is not a purchase
    // at all (a subscription invoice). The payment intent's metadata, set at checkout, says which.
    const intent = await this.stripe.find('read a payment intent', (stripe) => stripe.paymentIntents.retrieve(paymentIntentId));
    const { post_id: postId, user_id: userId } = intent?.metadata ?? {};
    if (!(await this.authorOf(em, postId, userId))) return;
    await this.unlocks.recordRefundFirst(em, { userId, postId, priceCents: charge.amount, currency: charge.currency, paymentIntentId });
  }

  /**
   * The post's author when both ids are well-formed and the post still exists (vanished posts are skipped). Read in
   * the caller's transaction: a job holds one connection, not two.
   */
  private async authorOf(em: EntityManager, postId: string | undefined, userId: string | null | undefined): Promise<string | null> {
    if (!isUuid(postId) || !isUuid(userId)) return null;
    const authorId = await this.posts.liveAuthorId(em, postId);
    if (!authorId) this.logger.warn(`payment for post ${postId} skipped: the post is gone`);
    return authorId;
  }
}
