import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import Stripe from 'stripe';
import { AppConfig } from '@/common/config/app-config';
import { PayoutAccountsRepository } from '../connect/payout-accounts.repository';
import { EarningsKind } from '../entities/earnings-entry.entity';
import { idOf, SubscriptionPair, SubscriptionState } from '../stripe/stripe-objects';
import { StripeClient } from '../stripe/stripe.client';
import { EarningsLedger } from './earnings-ledger';
import { shareOf, splitPayment } from './money';
import { PaymentOrigin, PaymentOrigins } from './payment-origins';
import { ReferralShareEvents } from './referral-share-events';

/** The Stripe event an entry is recorded from. */
export interface StripeEventRef {
  id: string;
  created: number;
}

/** The one-time payments paid through a payment-mode Checkout session (later: gifts). */
export type CheckoutPaymentKind = Extract<EarningsKind, 'unlock' | 'message_unlock' | 'tip' | 'gift'>;

/** Stripe subscription statuses that never started (nothing was paid). */
const NEVER_STARTED = new Set(['incomplete', 'incomplete_expired']);
/** Stripe subscription statuses that end one: it stopped giving access (`unpaid`: all retries failed). */
const ENDINGS = new Set(['canceled', 'unpaid', 'incomplete_expired']);
/**
 * Refund statuses that moved money: Stripe takes a refund from the balance when it is created (`pending` until the
 * bank confirms); `failed`, `canceled` and `requires_action` ones gave nothing back.
 */
const REFUND_MOVED = new Set(['succeeded', 'pending']);
/** The most objects one auto-paginated list reads (the SDK's cap): a charge's refunds are a handful. */
const LIST_CAP = 10_000;

const fromUnix = (seconds: number) => new Date(seconds * 1000);
/** Oldest first; Stripe lists newest first, so its order breaks ties within a second. */
const chronological = <T extends { created: number }>(list: T[]): T[] => [...list].reverse().sort((a, b) => a.created - b.created);

/**
 * Turns the Stripe objects the webhook worker applies into ledger entries (docs/billing.md#earnings), in the worker's
 * transaction: every money movement Stripe reports is one entry. The fee is the application fee Stripe reports on the
 * payment (Connect), else `PLATFORM_FEE_PERCENT` of the gross: the platform's share either way, and net is what the
 * creator is owed. Refunds and disputes take back the payment's shares in proportion. Application fees, transfers and
 * their refunds and reversals record what moved between the platform and the creator's account (gross, fee and net
 * zero). Every entry is unique on its kind and Stripe object, so repeats record nothing.
 */
@Injectable()
export class EarningsRecorder {
  private readonly logger = new Logger(EarningsRecorder.name);

  constructor(
    private readonly ledger: EarningsLedger,
    private readonly stripe: StripeClient,
    private readonly origins: PaymentOrigins,
    private readonly payoutAccounts: PayoutAccountsRepository,
    private readonly config: AppConfig,
    private readonly referrals: ReferralShareEvents,
  ) {}

  /** `PLATFORM_FEE_PERCENT`, in basis points. */
  private get percent(): number {
    return this.config.connect.feeBasisPoints;
  }

  /**
   * A paid subscription invoice (`invoice.paid`), whatever its `billing_reason` (the first, a renewal, a proration, a
   * manual one): what it took, once per invoice. `whose`: the pair of the subscription row just refreshed.
   */
  async invoicePaid(em: EntityManager, event: StripeEventRef, invoice: Stripe.Invoice, subscriptionId: string, whose: SubscriptionPair): Promise<void> {
    if (invoice.amount_paid <= 0) return; // a trial, a credit or a fully discounted invoice moved no money
    const payment = await this.invoicePayment(invoice.id);
    const recorded = await this.ledger.record(em, {
      creatorId: whose.creatorId,
      kind: 'subscription_payment',
      ...splitPayment(invoice.amount_paid, payment.applicationFeeCents, this.percent),
      discountCents: (invoice.total_discount_amounts ?? []).reduce((sum, d) => sum + d.amount, 0),
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
    if (recorded) await this.referrals.paymentRecorded(em, whose.creatorId, 'subscription_payment', invoice.id);
  }

  /**
   * A one-time payment paid through a payment-mode Checkout session, of `kind`: `amount_total`, once per session. Every
   * one-time payment kind records here, so refunds and disputes find it the same way.
   */
  async checkoutPaymentPaid(em: EntityManager, event: StripeEventRef, session: Stripe.Checkout.Session, kind: CheckoutPaymentKind, creatorId: string, payerId: string): Promise<void> {
    const gross = session.amount_total ?? 0;
    if (gross <= 0) return;
    const paymentIntentId = idOf(session.payment_intent);
    const intent = paymentIntentId ? await this.stripe.find('read a payment intent', (stripe) => stripe.paymentIntents.retrieve(paymentIntentId)) : null;
    const recorded = await this.ledger.record(em, {
      creatorId,
      kind,
      ...splitPayment(gross, intent?.application_fee_amount, this.percent),
      currency: session.currency ?? 'usd',
      counterpartyId: payerId,
      stripeObjectId: session.id,
      stripeEventId: event.id,
      stripePaymentIntentId: paymentIntentId,
      stripeChargeId: idOf(intent?.latest_charge),
      stripeCheckoutSessionId: session.id,
      occurredAt: fromUnix(event.created),
    });
    if (recorded) await this.referrals.paymentRecorded(em, creatorId, kind, session.id);
  }

  /**
   * The refunds of a charge (of an unlock or a subscription invoice), one entry per Stripe refund (`re_…`): on any
   * refund event (`charge.refunded`, `refund.created`, `refund.updated`, `charge.refund.updated`) the charge's refunds
   * are listed from Stripe and those not recorded yet are recorded, oldest first, under a per-charge lock. So repeated,
   * partial or reordered events add each refund exactly once. The fee part of each is what it adds to the fee share of
   * the charge's refunded total, so the parts add up to the share of the whole without rounding drift.
   *
   * Entries recorded before refunds had their own (`ch_…:refunded:<total>`, one per refunded total) stand for the
   * charge's oldest refunds up to that total: those are not recorded again, and a refund the old total covers only in
   * part is recorded for the rest (its `amount_cents` still the refund's amount).
   */
  async chargeRefunds(em: EntityManager, event: StripeEventRef, charge: { chargeId: string; paymentIntentId: string | null }): Promise<void> {
    const origin = await this.origins.of(em, charge.paymentIntentId, charge.chargeId);
    if (!origin) return;
    const listed = await this.stripe.call('list the refunds of a charge', (stripe) =>
      stripe.refunds.list({ charge: charge.chargeId, limit: 100 }).autoPagingToArray({ limit: LIST_CAP }),
    );
    await this.ledger.lockCharge(em, charge.chargeId);
    const recorded = await this.ledger.refundsOf(em, charge.chargeId);
    let { grossCents, feeCents, legacyCents } = recorded;
    let added = false;
    for (const refund of chronological(listed.filter((r) => REFUND_MOVED.has(r.status ?? '')))) {
      const covered = Math.min(legacyCents, refund.amount);
      legacyCents -= covered;
      const part = refund.amount - covered;
      if (part <= 0 || recorded.refundIds.has(refund.id)) continue;
      const fee = shareOf(grossCents + part, origin).feeCents - feeCents;
      added = (await this.ledger.record(em, {
        ...this.takenBack(origin, -part, -fee),
        amountCents: -refund.amount,
        kind: 'refund',
        stripeObjectId: refund.id,
        stripeEventId: event.id,
        stripeChargeId: charge.chargeId,
        occurredAt: fromUnix(refund.created),
      })) || added;
      grossCents += part;
      feeCents += fee;
    }
    // A referred creator's payment refunded: the referrer's share of it is reversed in proportion.
    if (added) await this.referrals.paymentTakenBack(em, origin.creatorId, charge.chargeId, charge.paymentIntentId ?? origin.stripePaymentIntentId);
  }

  /**
   * A dispute whose funds were withdrawn (`charge.dispute.created` unless it is only an inquiry,
   * `charge.dispute.funds_withdrawn`, or `charge.dispute.closed` as lost): negative. Funds given back
   * (`charge.dispute.closed` as won, or `charge.dispute.funds_reinstated`): the same amounts, positive. One entry each
   * per dispute.
   */
  async dispute(em: EntityManager, event: StripeEventRef, dispute: Stripe.Dispute, direction: 'withdrawn' | 'reinstated'): Promise<void> {
    if (dispute.amount <= 0) return;
    const origin = await this.origins.of(em, idOf(dispute.payment_intent), idOf(dispute.charge));
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
    // A lost dispute of a referred creator's payment reverses the referrer's share (an open one may still be won).
    if (dispute.status === 'lost') {
      await this.referrals.paymentTakenBack(em, origin.creatorId, idOf(dispute.charge) ?? origin.stripeChargeId, idOf(dispute.payment_intent) ?? origin.stripePaymentIntentId);
    }
  }

  /**
   * The platform's application fee on a payment to a creator's connected account (`application_fee.created`, and
   * from the fee `application_fee.refunded` carries): `+amount`, once per fee.
   */
  async applicationFee(em: EntityManager, event: StripeEventRef, fee: Stripe.ApplicationFee): Promise<void> {
    const creatorId = await this.creatorOfAccount(em, idOf(fee.account), fee.id);
    if (creatorId) await this.recordFee(em, event, fee, creatorId);
  }

  private async recordFee(em: EntityManager, event: StripeEventRef, fee: Stripe.ApplicationFee, creatorId: string): Promise<void> {
    if (fee.amount <= 0) return;
    await this.ledger.record(em, {
      ...this.movement(creatorId, fee.currency, fee.amount),
      kind: 'application_fee',
      stripeObjectId: fee.id,
      stripeEventId: event.id,
      stripeChargeId: idOf(fee.originating_transaction),
      occurredAt: fromUnix(fee.created),
    });
  }

  /**
   * The refunds of an application fee (`application_fee.refunded` with the fee, `application_fee.refund.updated` with
   * one refund), listed from Stripe: `-amount` each, once per fee refund (`fr_…`). The fee itself is recorded too when
   * its own event has not been applied.
   */
  async applicationFeeRefunds(em: EntityManager, event: StripeEventRef, feeOrId: Stripe.ApplicationFee | string): Promise<void> {
    const fee = typeof feeOrId === 'string' ? await this.stripe.find('read an application fee', (stripe) => stripe.applicationFees.retrieve(feeOrId)) : feeOrId;
    if (!fee) return;
    const creatorId = await this.creatorOfAccount(em, idOf(fee.account), fee.id);
    if (!creatorId) return;
    await this.recordFee(em, event, fee, creatorId);
    const refunds = await this.stripe.call('list the refunds of an application fee', (stripe) =>
      stripe.applicationFees.listRefunds(fee.id, { limit: 100 }).autoPagingToArray({ limit: LIST_CAP }),
    );
    for (const refund of chronological(refunds)) {
      await this.ledger.record(em, {
        ...this.movement(creatorId, refund.currency, -refund.amount),
        kind: 'application_fee_refund',
        stripeObjectId: refund.id,
        stripeEventId: event.id,
        stripeChargeId: idOf(fee.originating_transaction),
        occurredAt: fromUnix(refund.created),
      });
    }
  }

  /** A transfer to a creator's connected account (`transfer.created`; a destination charge's share): `+amount`, once. */
  async transfer(em: EntityManager, event: StripeEventRef, transfer: Stripe.Transfer): Promise<void> {
    const creatorId = await this.creatorOfAccount(em, idOf(transfer.destination), transfer.id);
    if (creatorId) await this.recordTransfer(em, event, transfer, creatorId);
  }

  private async recordTransfer(em: EntityManager, event: StripeEventRef, transfer: Stripe.Transfer, creatorId: string): Promise<void> {
    if (transfer.amount <= 0) return;
    await this.ledger.record(em, {
      ...this.movement(creatorId, transfer.currency, transfer.amount),
      kind: 'transfer',
      stripeObjectId: transfer.id,
      stripeEventId: event.id,
      stripeChargeId: idOf(transfer.source_transaction),
      occurredAt: fromUnix(transfer.created),
    });
  }

  /**
   * The reversals of a transfer (`transfer.reversed`), listed from Stripe: `-amount` each, once per reversal (`trr_…`).
   * The transfer itself is recorded too when its own event has not been applied.
   */
  async transferReversals(em: EntityManager, event: StripeEventRef, transfer: Stripe.Transfer): Promise<void> {
    const creatorId = await this.creatorOfAccount(em, idOf(transfer.destination), transfer.id);
    if (!creatorId) return;
    await this.recordTransfer(em, event, transfer, creatorId);
    const reversals = await this.stripe.call('list the reversals of a transfer', (stripe) =>
      stripe.transfers.listReversals(transfer.id, { limit: 100 }).autoPagingToArray({ limit: LIST_CAP }),
    );
    for (const reversal of chronological(reversals)) {
      await this.ledger.record(em, {
        ...this.movement(creatorId, reversal.currency, -reversal.amount),
        kind: 'transfer_reversal',
        stripeObjectId: reversal.id,
        stripeEventId: event.id,
        stripeChargeId: idOf(transfer.source_transaction),
        occurredAt: fromUnix(reversal.created),
      });
    }
  }

  /**
   * A subscriber starting and ending, one entry each per Stripe subscription, from the subscription state just read
   * (in the transaction that applied it). Started: any status but the never-paid `incomplete` ones, in the month of
   * `start_date`. Ended (churn, in the month of `ended_at`, else when first seen ended): `canceled` (also what
   * `customer.subscription.deleted` reads back), `unpaid` (every retry failed; paid again later it stays counted:
   * once per subscription), or `incomplete_expired` only if it had started (a start is recorded for it: Stripe moves
   * only never-paid `incomplete` subscriptions there, so in practice it never counts). `current: false`: a state that
   * did not replace the pair's row (another subscription holds it): its ending still counts, if its start was recorded.
   */
  async subscriberState(em: EntityManager, pair: SubscriptionPair, state: SubscriptionState, current = true): Promise<void> {
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
    const startable = current && !NEVER_STARTED.has(state.status);
    if (startable) await this.ledger.record(em, { ...base, kind: 'subscriber_started', occurredAt: state.startedAt ?? new Date() });
    if (!ENDINGS.has(state.status)) return;
    if (!startable && !(await this.ledger.has(em, 'subscriber_started', state.stripeSubscriptionId))) return;
    await this.ledger.record(em, { ...base, kind: 'subscriber_ended', occurredAt: state.endedAt ?? state.canceledAt ?? new Date() });
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

  /** A movement between the platform and a creator's account: not earnings (gross, fee, net zero), `amountCents` moved. */
  private movement(creatorId: string, currency: string, amountCents: number) {
    return { creatorId, grossCents: 0, feeCents: 0, amountCents, currency, counterpartyId: null };
  }

  /** The user whose payout account (live or deauthorized) is this connected account; null (logged) when none is. */
  private async creatorOfAccount(em: EntityManager, stripeAccountId: string | null, what: string): Promise<string | null> {
    const userId = stripeAccountId ? await this.payoutAccounts.userOfStripeAccount(em, stripeAccountId) : null;
    if (!userId) this.logger.warn(`${what} skipped: its connected account ${stripeAccountId ?? '-'} is none of our creators'`);
    return userId;
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
}
