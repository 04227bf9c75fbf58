import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import Stripe from 'stripe';
import { AppConfig } from '@/common/config/app-config';
import { UsersService } from '@/modules/users/users.service';
import { SaleItems } from '../sale-items.service';
import { SubscriptionsRepository } from '../repositories/subscriptions.repository';
import { idOf, isUuid, pairFromMetadata, SubscriptionPair } from '../stripe/stripe-objects';
import { StripeClient } from '../stripe/stripe.client';
import { EarningsLedger, RecordedPayment } from './earnings-ledger';
import { splitPayment } from './money';

/** A payment as its refunds and disputes need it: whose, by whom, and its amounts. */
export type PaymentOrigin = RecordedPayment;

/**
 * The payment a refund or dispute takes back: recorded already, or (when the refund overtook it) found through
 * Stripe: a one-time payment's payment intent names the post, message or tip and the buyer in its metadata, a subscription's is paid for
 * an invoice whose subscription names the pair. Null: not a payment to one of our creators.
 */
@Injectable()
export class PaymentOrigins {
  private readonly logger = new Logger(PaymentOrigins.name);

  constructor(
    private readonly ledger: EarningsLedger,
    private readonly stripe: StripeClient,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly sales: SaleItems,
    private readonly config: AppConfig,
    private readonly users: UsersService,
  ) {}

  async of(em: EntityManager, paymentIntentId: string | null, chargeId: string | null): Promise<PaymentOrigin | null> {
    const recorded = await this.ledger.payment(em, { paymentIntentId, chargeId });
    if (recorded) return recorded;
    if (!paymentIntentId) return null;
    const intent = await this.stripe.find('read a payment intent', (stripe) => stripe.paymentIntents.retrieve(paymentIntentId));
    if (!intent) return null;
    const amounts = splitPayment(intent.amount, intent.application_fee_amount, this.config.connect.feeBasisPoints);
    const base = { ...amounts, currency: intent.currency, stripePaymentIntentId: intent.id, stripeChargeId: chargeId ?? idOf(intent.latest_charge) };
    const { post_id: postId, message_id: messageId, tip_for: tipFor, user_id: buyerId } = intent.metadata ?? {};
    if ((postId || messageId || tipFor) && isUuid(buyerId)) {
      const creatorId = await this.sales.payeeOf(em, intent.metadata, buyerId);
      return creatorId ? { ...base, creatorId, counterpartyId: buyerId, stripeInvoiceId: null } : null;
    }
    const invoice = await this.invoiceOf(intent.id);
    const subscriptionId = invoice && idOf(invoice.parent?.subscription_details?.subscription);
    if (!invoice || !subscriptionId) return null;
    const pair = (await this.subscriptions.pairOf(em, subscriptionId)) ?? (await this.ourPair(em, pairFromMetadata(invoice.parent?.subscription_details?.metadata)));
    if (!pair) {
      this.logger.warn(`refund or dispute of ${intent.id} skipped: its subscription ${subscriptionId} is not one of ours`);
      return null;
    }
    return { ...base, creatorId: pair.creatorId, counterpartyId: pair.subscriberId, stripeInvoiceId: invoice.id };
  }

  /** The invoice a payment intent paid, if it paid one. */
  private async invoiceOf(paymentIntentId: string): Promise<Stripe.Invoice | null> {
    const payments = await this.stripe.call('find the invoice of a payment', (stripe) =>
      stripe.invoicePayments.list({ payment: { type: 'payment_intent', payment_intent: paymentIntentId }, expand: ['data.invoice'] }),
    );
    const invoice = payments.data[0]?.invoice;
    return invoice && typeof invoice !== 'string' && !invoice.deleted ? (invoice as Stripe.Invoice) : null;
  }

  /** The pair checkout wrote in the metadata, when it names two of our users. */
  private async ourPair(em: EntityManager, pair: Partial<SubscriptionPair>): Promise<SubscriptionPair | null> {
    const { subscriberId, creatorId } = pair;
    if (!isUuid(subscriberId) || !isUuid(creatorId) || subscriberId === creatorId) return null;
    return (await this.users.countExisting(em, [subscriberId, creatorId])) === 2 ? { subscriberId, creatorId } : null;
  }
}
