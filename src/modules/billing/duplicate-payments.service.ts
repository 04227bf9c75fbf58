import { Injectable, Logger } from '@nestjs/common';
import { StripeClient } from './stripe/stripe.client';

/**
 * The backstop behind one open checkout per pair: a second completed payment for something already paid for (a post
 * already unlocked, a creator already subscribed to) is given back. Stripe idempotency keys make a retried job's
 * refund or cancellation the same one.
 */
@Injectable()
export class DuplicatePaymentsService {
  private readonly logger = new Logger(DuplicatePaymentsService.name);

  constructor(private readonly stripe: StripeClient) {}

  async refundPayment(paymentIntentId: string): Promise<void> {
    this.logger.warn(`duplicate payment ${paymentIntentId}: refunding it`);
    await this.stripe.call('refund a duplicate payment', (stripe) =>
      stripe.refunds.create({ payment_intent: paymentIntentId, reason: 'duplicate' }, { idempotencyKey: `x18-duplicate-refund:${paymentIntentId}` }),
    );
  }

  /** A second running subscription to the same creator: ended now, and what its first invoice took refunded. */
  async endSubscription(subscriptionId: string, latestInvoiceId: string | null): Promise<void> {
    this.logger.warn(`duplicate subscription ${subscriptionId}: cancelling and refunding it`);
    await this.stripe.find('cancel a duplicate subscription', (stripe) => stripe.subscriptions.cancel(subscriptionId));
    if (!latestInvoiceId) return;
    const payments = await this.stripe.call('list the payments of an invoice', (stripe) =>
      stripe.invoicePayments.list({ invoice: latestInvoiceId, status: 'paid' }),
    );
    for (const payment of payments.data) {
      const intent = payment.payment.payment_intent;
      if (intent) await this.refundPayment(typeof intent === 'string' ? intent : intent.id);
    }
  }
}
