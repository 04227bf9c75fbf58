import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import Stripe from 'stripe';
import { DomainEvent } from '@/common/outbox/domain-events';
import { EventContext, OnDomainEvent } from '@/common/outbox/on-domain-event.decorator';
import { QueueName } from '@/common/queue/queue-names';
import { CheckoutSessions } from './checkout-sessions.service';
import { EarningsRecorder, StripeEventRef } from './earnings/earnings-recorder.service';
import { StripeEventsRepository } from './repositories/stripe-events.repository';
import { PayoutAccountSyncService } from './connect/payout-account-sync.service';
import { idOf, invoiceSubscriptionId } from './stripe/stripe-objects';
import { SubscriptionSyncService } from './subscription-sync.service';
import { UnlockPaymentsService } from './unlock-payments.service';

/**
 * Applies one stored Stripe event, once: the event row is locked, its effects, `processed_at` and the outbox receipt
 * commit together, so a redelivered or re-sent event finds it processed and changes nothing. A failure rolls the
 * effects back, keeps the error on the row (`last_error`, `attempts`) and rethrows for the queue's retries.
 *
 * Lock order (docs/billing.md#lock-order), the same in every branch of `dispatch`, so that the queue's concurrent
 * jobs never deadlock: this event's row; then the domain rows (payout_accounts, checkout_sessions, then a
 * subscription's advisory lock and row, or a purchase's post_unlocks or message_unlocks row, or a tip's tips row); then
 * the ledger LAST (EarningsRecorder: a charge's refund lock, earnings_entries, then the creator's earnings_months row,
 * which every payment of that creator shares). A new branch writes its domain rows before calling EarningsRecorder, never after.
 */
@Injectable()
export class StripeEventApplier {
  constructor(
    private readonly events: StripeEventsRepository,
    private readonly subscriptions: SubscriptionSyncService,
    private readonly unlocks: UnlockPaymentsService,
    private readonly earnings: EarningsRecorder,
    private readonly payoutAccounts: PayoutAccountSyncService,
    private readonly checkouts: CheckoutSessions,
  ) {}

  @OnDomainEvent('stripe.event_received', { subscriber: 'billing.apply-stripe-event', queue: QueueName.Billing })
  async apply(event: DomainEvent<'stripe.event_received'>, context: EventContext): Promise<void> {
    await this.applyIn(event.payload.stripeEventId, context.transaction);
  }

  /**
   * The same, now, in a transaction of its own (reconciliation's repair applies what a dropped delivery lost): true
   * when this call applied it. The queued job of its outbox event then finds it processed and changes nothing.
   */
  applyNow(em: EntityManager, stripeEventId: string): Promise<boolean> {
    return this.applyIn(stripeEventId, (work) => em.fork().transactional(work));
  }

  private async applyIn(stripeEventId: string, transaction: <R>(work: (em: EntityManager) => Promise<R>) => Promise<R>): Promise<boolean> {
    try {
      return await transaction(async (em) => {
        const stored = await this.events.lockUnprocessed(em, stripeEventId);
        if (!stored) return false;
        await this.dispatch(em, stored.payload as unknown as Stripe.Event);
        await this.events.markProcessed(em, stored.id);
        return true;
      });
    } catch (error) {
      await this.events.recordFailure(stripeEventId, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
      throw error;
    }
  }

  /** Types not named here are stored and acknowledged, nothing more. Money movements also go to the earnings ledger. */
  private async dispatch(em: EntityManager, event: Stripe.Event): Promise<void> {
    const ref: StripeEventRef = { id: event.id, created: event.created };
    switch (event.type) {
      case 'checkout.session.completed':
      case 'checkout.session.async_payment_succeeded':
        return this.checkoutCompleted(em, event.data.object, ref);
      case 'customer.subscription.created':
      case 'customer.subscription.updated':
      case 'customer.subscription.deleted':
      case 'customer.subscription.paused':
      case 'customer.subscription.resumed':
        await this.subscriptions.refresh(em, event.data.object.id);
        return;
      case 'invoice.paid':
      case 'invoice.payment_failed': {
        const subscriptionId = invoiceSubscriptionId(event.data.object);
        const row = subscriptionId && (await this.subscriptions.refresh(em, subscriptionId));
        if (row && event.type === 'invoice.paid') {
          await this.earnings.invoicePaid(em, ref, event.data.object, subscriptionId, { subscriberId: row.subscriber.id, creatorId: row.creator.id });
        }
        return;
      }
      case 'charge.refunded':
        await this.unlocks.recordRefund(em, event.data.object);
        return this.earnings.chargeRefunds(em, ref, { chargeId: event.data.object.id, paymentIntentId: idOf(event.data.object.payment_intent) });
      // The same refunds, announced one by one: the ledger lists the charge's refunds either way (one entry each).
      case 'refund.created':
      case 'refund.updated':
      case 'charge.refund.updated': {
        const chargeId = idOf(event.data.object.charge);
        if (chargeId) await this.earnings.chargeRefunds(em, ref, { chargeId, paymentIntentId: idOf(event.data.object.payment_intent) });
        return;
      }
      case 'charge.dispute.created':
        await this.unlocks.recordDisputeOpened(em, event.data.object);
        // An inquiry (`warning_*`) withdraws no funds; one that escalates sends `charge.dispute.funds_withdrawn`.
        if (!event.data.object.status.startsWith('warning')) await this.earnings.dispute(em, ref, event.data.object, 'withdrawn');
        return;
      case 'charge.dispute.funds_withdrawn':
        return this.earnings.dispute(em, ref, event.data.object, 'withdrawn');
      case 'charge.dispute.closed':
        await this.unlocks.recordDisputeClosed(em, event.data.object);
        if (event.data.object.status === 'won') await this.earnings.dispute(em, ref, event.data.object, 'reinstated');
        // Lost: the funds withdrawn when it opened stay withdrawn (recorded now if that event never was).
        if (event.data.object.status === 'lost') await this.earnings.dispute(em, ref, event.data.object, 'withdrawn');
        return;
      case 'charge.dispute.funds_reinstated':
        return this.earnings.dispute(em, ref, event.data.object, 'reinstated');
      // Money between the platform and creators' connected accounts (gross, fee and net zero in the ledger).
      case 'application_fee.created':
        return this.earnings.applicationFee(em, ref, event.data.object);
      case 'application_fee.refunded':
        return this.earnings.applicationFeeRefunds(em, ref, event.data.object);
      case 'application_fee.refund.updated': {
        const feeId = idOf(event.data.object.fee);
        if (feeId) await this.earnings.applicationFeeRefunds(em, ref, feeId);
        return;
      }
      case 'transfer.created':
        return this.earnings.transfer(em, ref, event.data.object);
      case 'transfer.reversed':
        return this.earnings.transferReversals(em, ref, event.data.object);
      // Stripe Connect (docs/payouts.md): the creator's account, from the Connect endpoint.
      case 'account.updated':
        return this.payoutAccounts.accountUpdated(em, event.data.object.id);
      case 'account.application.deauthorized':
        await this.payoutAccounts.deauthorized(em, event.account);
        // A session opened before would still pay the account the creator took away: expire those still open.
        if (event.account) await this.checkouts.expireOpenFor(em, event.account);
        return;
      default:
        return;
    }
  }

  /** Only a session we opened, for what it asked (CheckoutSessions.completion). */
  private async checkoutCompleted(em: EntityManager, reported: Stripe.Checkout.Session, ref: StripeEventRef): Promise<void> {
    const session = await this.checkouts.completion(em, reported);
    if (!session) return;
    const subscriptionId = idOf(session.subscription);
    if (session.mode === 'subscription' && subscriptionId) {
      const hints = { subscriberId: session.client_reference_id ?? undefined, creatorId: session.metadata?.creator_id };
      await this.subscriptions.refresh(em, subscriptionId, hints);
    } else if (session.mode === 'payment') {
      await this.unlocks.recordPaid(em, session, ref);
    }
  }
}
