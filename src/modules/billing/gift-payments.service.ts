import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import Stripe from 'stripe';
import { AppConfig } from '@/common/config/app-config';
import { OutboxService } from '@/common/outbox/outbox.service';
import { MailService } from '@/modules/mail/mail.service';
import { EarningsRecorder, StripeEventRef } from './earnings/earnings-recorder.service';
import { GiftsRepository } from './repositories/gifts.repository';
import { idOf, isUuid } from './stripe/stripe-objects';

/** sha256 of a redeem token, as `gifts.redeem_token_hash` keeps it. */
export const hashGiftToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * Gifts as Stripe reports them (docs/billing.md#gifts), in the webhook worker's transaction and its lock order
 * (docs/billing.md#lock-order): the `gifts` row (and the recipient's pair lock, for stacking), then `gift.received`
 * or the redeem mail in the outbox, then the ledger last (`gift`). Refunds and disputes change the row's status, as for
 * tips: a refunded or disputed gift gives no access.
 */
@Injectable()
export class GiftPaymentsService {
  constructor(
    private readonly gifts: GiftsRepository,
    private readonly outbox: OutboxService,
    private readonly earnings: EarningsRecorder,
    private readonly mail: MailService,
    private readonly config: AppConfig,
  ) {}

  /** Whether this completed session is a gift's (`metadata.gift`). */
  static isGift(session: Stripe.Checkout.Session): boolean {
    return session.metadata?.gift === '1';
  }

  /** A paid gift: granted once per payment; the notification or mail only when this call granted it. */
  async recordPaid(em: EntityManager, session: Stripe.Checkout.Session, event: StripeEventRef): Promise<void> {
    if (session.payment_status === 'unpaid') return; // delayed methods: `checkout.session.async_payment_succeeded` follows
    const gifterId = session.client_reference_id;
    const creatorId = session.metadata?.creator_id;
    if (!isUuid(gifterId) || !isUuid(creatorId)) return;
    const pending = await this.gifts.lockPending(em, session.id);
    if (!pending) {
      // Written right after Stripe created the session: a completion that overtook it is retried by the queue.
      if (!(await this.gifts.existsFor(em, session.id))) throw new Error(`gift checkout ${session.id}: its gifts row is not written yet`);
    } else if (pending.recipient_id) {
      await this.gifts.lockPair(em, pending.recipient_id, pending.creator_id);
      await this.gifts.markPaid(em, pending.id, idOf(session.payment_intent), { recipientId: pending.recipient_id, creatorId: pending.creator_id }, null);
      this.outbox.record(em, 'gift.received', { giftId: pending.id, gifterId, recipientId: pending.recipient_id, creatorId: pending.creator_id });
    } else {
      const token = randomBytes(32).toString('base64url');
      await this.gifts.markPaid(em, pending.id, idOf(session.payment_intent), null, hashGiftToken(token));
      const row = await this.gifts.find(em, pending.id);
      if (row?.recipient_email) {
        this.mail.request(em, {
          to: row.recipient_email,
          toVerified: false,
          template: 'gift-received',
          values: { months: String(pending.months) },
          link: `${this.config.mail.appUrl}/gifts/redeem?token=${token}`,
        });
      }
    }
    // The money moved either way: the ledger last.
    await this.earnings.checkoutPaymentPaid(em, event, session, 'gift', creatorId, gifterId);
  }

  /** A full refund that overtook the completion of a gift (`metadata.gift_id`); false when the intent is not a gift's. */
  async recordRefundFirst(em: EntityManager, intent: Stripe.PaymentIntent): Promise<boolean> {
    const giftId = intent.metadata?.gift_id;
    if (intent.metadata?.gift !== '1' || !isUuid(giftId)) return false;
    await this.gifts.recordRefundFirst(em, giftId, intent.id);
    return true;
  }

  markRefunded(em: EntityManager, paymentIntentId: string): Promise<boolean> {
    return this.gifts.markRefunded(em, paymentIntentId);
  }

  markDisputed(em: EntityManager, paymentIntentId: string): Promise<void> {
    return this.gifts.markDisputed(em, paymentIntentId);
  }

  settleDispute(em: EntityManager, paymentIntentId: string, outcome: 'paid' | 'refunded'): Promise<void> {
    return this.gifts.settleDispute(em, paymentIntentId, outcome);
  }
}
