import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import Stripe from 'stripe';
import { AppConfig } from '@/common/config/app-config';
import { UsersService } from '@/modules/users/users.service';
import { POSTS_FOR_SALE, PostsForSale } from '../billing.ports';
import { SubscriptionsRepository } from '../repositories/subscriptions.repository';
import { idOf, isUuid, pairFromMetadata, SubscriptionPair, SubscriptionState } from '../stripe/stripe-objects';
import { StripeClient } from '../stripe/stripe.client';
import { EarningsLedger, RecordedPayment } from './earnings-ledger';
import { shareOf, splitPayment } from './money';

/** The Stripe event an entry is recorded from. */
export interface StripeEventRef {
  id: string;
  created: number;
}

/** A payment as its refunds and disputes need it: whose, by whom, and its amounts. */
type PaymentOrigin = Omit<RecordedPayment, 'stripeChargeId'> & { stripeChargeId: string | null };

/** Stripe subscription statuses that never started (nothing was paid). */
const NEVER_STARTED = new Set(['incomplete', 'incomplete_expired']);

const fromUnix = (seconds: number) => new Date(seconds * 1000);

/**
 * Turns the Stripe objects the webhook worker applies into ledger entries (docs/billing.md#earnings), in the worker's
 * transaction. The fee is the application fee Stripe reports on the payment (Connect), else `PLATFORM_FEE_PERCENT`
 * of the gross: the platform's share either way, and net is what the creator is owed. Refunds and disputes take back
 * the payment's shares in proportion. Every entry is unique on its kind and Stripe object, so repeats record nothing.
 */
@Injectable()
export class EarningsRecorder {
  private readonly logger = new Logger(EarningsRecorder.name);

  constructor(
    private readonly ledger: EarningsLedger,
    private readonly stripe: StripeClient,
    private readonly subscriptions: SubscriptionsRepository,
    @Inject(POSTS_FOR_SALE) private readonly posts: PostsForSale,
    private readonly config: AppConfig,
    private readonly users: UsersService,
  ) {}

  /** `PLATFORM_FEE_PERCENT`, in basis points. */
  private get percent(): number {
    return this.config.connect.feeBasisPoints;
  }

  /** A paid subscription invoice (`invoice.paid`); `whose`: the pair of the subscription row just refreshed. */
  async invoicePaid(em: EntityManager, event: StripeEventRef, invoice: Stripe.Invoice, subscriptionId: string, whose: SubscriptionPair): Promise<void> {
    if (invoice.amount_paid <= 0) return; // a trial or a fully discounted invoice moved no money
    const payment = await this.invoicePayment(invoice.id);
    await this.ledger.record(em, {
      creatorId: whose.creatorId,
      kind: 'subscription_payment',
      ...splitPayment(invoice.amount_paid, payment.applicationFeeCents, this.percent),
      currency: invoice.currency,
      counterpartyId: whose.subscriberId,
      stripeObjectId: invoice.id,
      stripeEventId: event.id,
      stripeInvoiceId: invoice.id,
      stripePaymentIntentId: payment.paymentIntentId,
      stripeChargeId: payment.chargeId,
      stripeSubscriptionId: subscriptionId,
      occurredAt: fromUnix(invoice.status_transitions?.paid_at ?? event.created),
    });
  }

  /** A paid pay-per-view checkout, whether or not it granted access (a duplicate is refunded: its refund is an entry too). */
  async unlockPaid(em: EntityManager, event: StripeEventRef, session: Stripe.Checkout.Session, creatorId: string, buyerId: string): Promise<void> {
    const gross = session.amount_total ?? 0;
    if (gross <= 0) return;
    const paymentIntentId = idOf(session.payment_intent);
    const intent = paymentIntentId ? await this.stripe.find('read a payment intent', (stripe) => stripe.paymentIntents.retrieve(paymentIntentId)) : null;
    await this.ledger.record(em, {
      creatorId,
      kind: 'unlock',
      ...splitPayment(gross, intent?.application_fee_amount, this.percent),
      currency: session.currency ?? 'usd',
      counterpartyId: buyerId,
      stripeObjectId: session.id,
      stripeEventId: event.id,
      stripePaymentIntentId: paymentIntentId,
      stripeChargeId: idOf(intent?.latest_charge),
      stripeCheckoutSessionId: session.id,
      occurredAt: fromUnix(event.created),
    });
  }

  /**
   * `charge.refunded` carries the charge's refunded total so far: the entry is what it adds to the refunds recorded
   * for the charge (under a per-charge lock), so repeated, partial or reordered events add up to the total exactly once.
   */
  async chargeRefunded(em: EntityManager, event: StripeEventRef, charge: Stripe.Charge): Promise<void> {
    if (charge.amount_refunded <= 0) return;
    const origin = await this.origin(em, idOf(charge.payment_intent), charge.id);
    if (!origin) return;
    await this.ledger.lockCharge(em, charge.id);
    const before = await this.ledger.refundedOf(em, charge.id);
    const gross = charge.amount_refunded - before.grossCents;
    if (gross <= 0) return; // this total (or a later one) is recorded already
    const fee = shareOf(charge.amount_refunded, origin).feeCents - before.feeCents;
    await this.ledger.record(em, {
      ...this.takenBack(origin, -gross, -fee),
      kind: 'refund',
      stripeObjectId: `${charge.id}:refunded:${charge.amount_refunded}`,
      stripeEventId: event.id,
      stripeChargeId: charge.id,
      occurredAt: fromUnix(event.created),
    });
  }

  /**
   * A dispute whose funds were withdrawn (`charge.dispute.created` unless it is only an inquiry, or
   * `charge.dispute.funds_withdrawn`): negative. Funds given back (`charge.dispute.closed` as won, or
   * `charge.dispute.funds_reinstated`): the same amounts, positive. One entry each per dispute.
   */
  async dispute(em: EntityManager, event: StripeEventRef, dispute: Stripe.Dispute, direction: 'withdrawn' | 'reinstated'): Promise<void> {
    if (dispute.amount <= 0) return;
    const origin = await this.origin(em, idOf(dispute.payment_intent), idOf(dispute.charge));
    if (!origin) return;
    const sign = direction === 'withdrawn' ? -1 : 1;
    await this.ledger.record(em, {
      ...this.takenBack(origin, sign * dispute.amount, sign * shareOf(dispute.amount, origin).feeCents),
      kind: direction === 'withdrawn' ? 'dispute' : 'dispute_won',
      stripeObjectId: dispute.id,
      stripeEventId: event.id,
      stripeChargeId: idOf(dispute.charge) ?? origin.stripeChargeId,
      occurredAt: fromUnix(direction === 'withdrawn' ? dispute.created : event.created),
    });
  }

  /**
   * A subscriber starting (any status but the never-paid `incomplete` ones: new in the month of `start_date`) and
   * ending (`canceled`: churned in the month of `ended_at`), one entry each per Stripe subscription. From the
   * subscription state just applied to its row, in that transaction.
   */
  async subscriberState(em: EntityManager, pair: SubscriptionPair, state: SubscriptionState): Promise<void> {
    if (NEVER_STARTED.has(state.status)) return;
    const base = {
      creatorId: pair.creatorId,
      grossCents: 0,
      feeCents: 0,
      currency: state.currency,
      counterpartyId: pair.subscriberId,
      stripeObjectId: state.stripeSubscriptionId,
      stripeEventId: null,
      stripeSubscriptionId: state.stripeSubscriptionId,
    };
    await this.ledger.record(em, { ...base, kind: 'subscriber_started', occurredAt: state.startedAt ?? new Date() });
    if (state.status === 'canceled') {
      await this.ledger.record(em, { ...base, kind: 'subscriber_ended', occurredAt: state.endedAt ?? state.canceledAt ?? new Date() });
    }
  }

  private takenBack(origin: PaymentOrigin, grossCents: number, feeCents: number) {
    return {
      creatorId: origin.creatorId,
      grossCents,
      feeCents,
      currency: origin.currency,
      counterpartyId: origin.counterpartyId,
      stripeInvoiceId: origin.stripeInvoiceId,
      stripePaymentIntentId: origin.stripePaymentIntentId,
    };
  }

  /**
   * The payment a refund or dispute takes back: recorded already, or (when the refund overtook it) found through
   * Stripe: an unlock's payment intent names the post and buyer in its metadata, a subscription's is paid for an
   * invoice whose subscription names the pair. Null: not a payment to one of our creators.
   */
  private async origin(em: EntityManager, paymentIntentId: string | null, chargeId: string | null): Promise<PaymentOrigin | null> {
    const recorded = await this.ledger.payment(em, { paymentIntentId, chargeId });
    if (recorded) return recorded;
    if (!paymentIntentId) return null;
    const intent = await this.stripe.find('read a payment intent', (stripe) => stripe.paymentIntents.retrieve(paymentIntentId));
    if (!intent) return null;
    const amounts = splitPayment(intent.amount, intent.application_fee_amount, this.percent);
    const base = { ...amounts, currency: intent.currency, stripePaymentIntentId: intent.id, stripeChargeId: chargeId ?? idOf(intent.latest_charge) };
    const { post_id: postId, user_id: buyerId } = intent.metadata ?? {};
    if (isUuid(postId) && isUuid(buyerId)) {
      const creatorId = await this.posts.liveAuthorId(em, postId);
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

  /** The payment intent (with its application fee) and charge that paid an invoice. */
  private async invoicePayment(invoiceId: string): Promise<{ paymentIntentId: string | null; chargeId: string | null; applicationFeeCents: number | null }> {
    const payments = await this.stripe.call('list the payments of an invoice', (stripe) =>
      stripe.invoicePayments.list({ invoice: invoiceId, status: 'paid', expand: ['data.payment.payment_intent'] }),
    );
    const paid = payments.data.find((p) => p.payment.payment_intent || p.payment.charge)?.payment;
    const intent = paid?.payment_intent;
    if (intent && typeof intent !== 'string') {
      return { paymentIntentId: intent.id, chargeId: idOf(intent.latest_charge), applicationFeeCents: intent.application_fee_amount };
    }
    return { paymentIntentId: idOf(intent), chargeId: idOf(paid?.charge), applicationFeeCents: null };
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
