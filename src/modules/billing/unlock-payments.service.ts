import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import Stripe from 'stripe';
import { OutboxService } from '@/common/outbox/outbox.service';
import { DuplicatePaymentsService } from './duplicate-payments.service';
import { EarningsRecorder, StripeEventRef } from './earnings/earnings-recorder.service';
import { PostUnlocksRepository } from './repositories/post-unlocks.repository';
import { idOf } from './stripe/stripe-objects';
import { SaleItems } from './sale-items.service';
import { TipPaymentsService } from './tip-payments.service';

/**
 * One-time purchases (a pay-per-view post, a paid direct message) as Stripe reports them: a paid checkout unlocks, a
 * second payment for the same item is refunded, a full refund revokes, a dispute suspends access until Stripe closes it.
 * Tips, the other one-time payment, are handed to `TipPaymentsService`, and their refunds and disputes change their
 * rows the same way (docs/inbox.md#tips).
 */
@Injectable()
export class UnlockPaymentsService {
  constructor(
    private readonly unlocks: PostUnlocksRepository,
    private readonly outbox: OutboxService,
    private readonly sales: SaleItems,
    private readonly duplicates: DuplicatePaymentsService,
    private readonly earnings: EarningsRecorder,
    private readonly tips: TipPaymentsService,
  ) {}

  /**
   * A completed payment-mode checkout; `post.unlocked` (a post) or `message.unlocked` (a message) once, when it newly
   * grants access.
   */
  async recordPaid(em: EntityManager, session: Stripe.Checkout.Session, event: StripeEventRef): Promise<void> {
    if (TipPaymentsService.isTip(session)) return this.tips.recordPaid(em, session, event);
    if (session.payment_status === 'unpaid') return; // delayed methods: `checkout.session.async_payment_succeeded` follows
    const sale = await this.sales.of(em, session.metadata, session.client_reference_id);
    if (!sale) return;
    const { kind, itemId, buyerId: userId, sellerId } = sale;
    const paymentIntentId = idOf(session.payment_intent);
    const unlocked = await this.unlocks.recordPaid(em, {
      kind,
      userId,
      itemId,
      priceCents: session.amount_total ?? 0,
      currency: session.currency ?? 'usd',
      checkoutSessionId: session.id,
      paymentIntentId,
    });
    if (unlocked && kind === 'post') this.outbox.record(em, 'post.unlocked', { postId: itemId, userId, authorId: sellerId });
    if (unlocked && kind === 'message') this.outbox.record(em, 'message.unlocked', { messageId: itemId, userId, senderId: sellerId });
    if (!unlocked) {
      // Not a repeat of the same payment but a second one for an item already bought (two checkouts raced): refund it.
      const held = await this.unlocks.paymentIntentOf(em, kind, userId, itemId);
      if (paymentIntentId && held && held !== paymentIntentId) await this.duplicates.refundPayment(paymentIntentId);
    }
    // The money moved whether or not this payment unlocks (a duplicate is refunded, and its refund recorded too).
    // The ledger last, after the purchase's row, as a refund or dispute of this payment does (the lock order,
    // docs/billing.md#lock-order): written first, a concurrent refund that had inserted the row waited here for the
    // creator's earnings_months row while this job, holding that row, waited for the refund's purchase row.
    await this.earnings.checkoutPaymentPaid(em, event, session, kind === 'post' ? 'unlock' : 'message_unlock', sellerId, userId);
  }

  /** A chargeback opened on a purchase: access is revoked while it runs. */
  async recordDisputeOpened(em: EntityManager, dispute: Stripe.Dispute): Promise<void> {
    const paymentIntentId = idOf(dispute.payment_intent);
    if (!paymentIntentId) return;
    await this.unlocks.markDisputed(em, paymentIntentId);
    await this.tips.markDisputed(em, paymentIntentId);
  }

  /** A closed chargeback: won (or only a warning) restores access; lost keeps it revoked, as a refund would. */
  async recordDisputeClosed(em: EntityManager, dispute: Stripe.Dispute): Promise<void> {
    const paymentIntentId = idOf(dispute.payment_intent);
    if (!paymentIntentId) return;
    const won = dispute.status === 'won' || dispute.status === 'warning_closed';
    await this.unlocks.settleDispute(em, paymentIntentId, won ? 'paid' : 'refunded');
    await this.tips.settleDispute(em, paymentIntentId, won ? 'paid' : 'refunded');
  }

  /** A fully refunded charge revokes the purchase it paid for (a partial refund keeps access). */
  async recordRefund(em: EntityManager, charge: Stripe.Charge): Promise<void> {
    const paymentIntentId = idOf(charge.payment_intent);
    if (!charge.refunded || !paymentIntentId) return;
    if ((await this.unlocks.markRefunded(em, paymentIntentId)) || (await this.tips.markRefunded(em, paymentIntentId))) return;
    // No purchase with this payment yet: the refund overtook `checkout.session.completed`, or it is not a purchase
    // at all (a subscription invoice). The payment intent's metadata, set at checkout, says which.
    const intent = await this.sales.paymentIntent(paymentIntentId);
    if (intent && (await this.tips.recordRefundFirst(em, intent, charge))) return;
    const sale = await this.sales.of(em, intent?.metadata, intent?.metadata?.user_id);
    if (!sale) return;
    await this.unlocks.recordRefundFirst(em, {
      kind: sale.kind,
      userId: sale.buyerId,
      itemId: sale.itemId,
      priceCents: charge.amount,
      currency: charge.currency,
      paymentIntentId,
    });
  }
}
