import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import Stripe from 'stripe';
import { OutboxService } from '@/common/outbox/outbox.service';
import { EarningsRecorder, StripeEventRef } from './earnings/earnings-recorder.service';
import { GiftPaymentsService } from './gift-payments.service';
import { TipsRepository } from './repositories/tips.repository';
import { idOf } from './stripe/stripe-objects';
import { TipFor, tipOf } from './tip-for';

const targetColumns = (target: TipFor) => ({
  postId: target.kind === 'post' ? target.id : null,
  conversationId: target.kind === 'conversation' ? target.id : null,
});

/**
 * Tips as Stripe reports them (docs/inbox.md#tips), in the webhook worker's transaction and its lock order
 * (docs/billing.md#lock-order): the `tips` row, then `tip.received` in the outbox (the creator's `tip` notification and
 * the tip message, each handled by its module), then the ledger last. Refunds and disputes change the row's status
 * through `UnlockPaymentsService`, as for the other one-time payments, and the ledger takes the money back.
 * Gifts (docs/billing.md#gifts), the other payment that is not a purchase, are handed on to `GiftPaymentsService` from
 * here (UnlockPaymentsService is at the constructor limit).
 */
@Injectable()
export class TipPaymentsService {
  private readonly logger = new Logger(TipPaymentsService.name);

  constructor(
    private readonly tips: TipsRepository,
    private readonly outbox: OutboxService,
    private readonly earnings: EarningsRecorder,
    private readonly gifts: GiftPaymentsService,
  ) {}

  /** Whether this completed session is a tip's (`metadata.tip_for`) or a gift's (`metadata.gift`, handed on). */
  static isTip(session: Stripe.Checkout.Session): boolean {
    return !!session.metadata?.tip_for || GiftPaymentsService.isGift(session);
  }

  /** A paid tip: recorded once per payment; `tip.received` only when this call recorded it. */
  async recordPaid(em: EntityManager, session: Stripe.Checkout.Session, event: StripeEventRef): Promise<void> {
    if (GiftPaymentsService.isGift(session)) return this.gifts.recordPaid(em, session, event);
    if (session.payment_status === 'unpaid') return; // delayed methods: `checkout.session.async_payment_succeeded` follows
    const tip = tipOf(session.metadata, session.client_reference_id);
    if (!tip) {
      this.logger.warn(`tip checkout ${session.id} skipped: its metadata names no tip of ours`);
      return;
    }
    const amountCents = session.amount_total ?? 0;
    const currency = session.currency ?? 'usd';
    const message = session.metadata?.tip_message || null;
    const { postId, conversationId } = targetColumns(tip.target);
    const tipId = await this.tips.recordPaid(em, {
      tipperId: tip.tipperId,
      creatorId: tip.creatorId,
      postId,
      conversationId,
      amountCents,
      currency,
      message,
      checkoutSessionId: session.id,
      paymentIntentId: idOf(session.payment_intent),
    });
    if (tipId) {
      this.outbox.record(em, 'tip.received', { tipId, tipperId: tip.tipperId, creatorId: tip.creatorId, amountCents, currency, message, postId, conversationId });
    }
    // The money moved either way (a tip refunded before its completion was paid, then refunded): the ledger last.
    await this.earnings.checkoutPaymentPaid(em, event, session, 'tip', tip.creatorId, tip.tipperId);
  }

  /**
   * A full refund that overtook its tip's completion, found through the payment intent's metadata: the tip is recorded
   * refunded, so the completion, when it comes, delivers nothing. False when the intent is not a tip's.
   */
  async recordRefundFirst(em: EntityManager, intent: Stripe.PaymentIntent, charge: Stripe.Charge): Promise<boolean> {
    if (await this.gifts.recordRefundFirst(em, intent)) return true;
    const tip = tipOf(intent.metadata, intent.metadata?.user_id);
    if (!tip) return false;
    await this.tips.recordRefundFirst(em, {
      tipperId: tip.tipperId,
      creatorId: tip.creatorId,
      ...targetColumns(tip.target),
      amountCents: charge.amount,
      currency: charge.currency,
      paymentIntentId: intent.id,
    });
    return true;
  }

  /** A full refund of the tip (or gift) paid with this payment intent; false when none is known (yet). */
  async markRefunded(em: EntityManager, paymentIntentId: string): Promise<boolean> {
    return (await this.tips.markRefunded(em, paymentIntentId)) || (await this.gifts.markRefunded(em, paymentIntentId));
  }

  async markDisputed(em: EntityManager, paymentIntentId: string): Promise<void> {
    await this.tips.markDisputed(em, paymentIntentId);
    await this.gifts.markDisputed(em, paymentIntentId);
  }

  async settleDispute(em: EntityManager, paymentIntentId: string, outcome: 'paid' | 'refunded'): Promise<void> {
    await this.tips.settleDispute(em, paymentIntentId, outcome);
    await this.gifts.settleDispute(em, paymentIntentId, outcome);
  }
}
