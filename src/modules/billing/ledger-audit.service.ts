import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import Stripe from 'stripe';
import { EarningsLedger, MoneyEntry } from './earnings/earnings-ledger';
import { StripeEventApplier } from './stripe-event-applier.service';
import { believedFromConnectedAccount, StripeWebhookService } from './stripe-webhook.service';

export type { MoneyEntry } from './earnings/earnings-ledger';

/**
 * The Stripe event types whose loss the ledger or access would feel: what repair asks `events.list` for. Keep it the
 * applier's `dispatch` switch (and the money movements the ledger records); other types are stored and ignored anyway.
 */
export const REPLAYED_EVENT_TYPES = [
  'checkout.session.completed',
  'checkout.session.async_payment_succeeded',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'customer.subscription.paused',
  'customer.subscription.resumed',
  'invoice.paid',
  'invoice.payment_failed',
  'charge.refunded',
  'refund.created',
  'refund.updated',
  'charge.refund.updated',
  'charge.dispute.created',
  'charge.dispute.funds_withdrawn',
  'charge.dispute.closed',
  'charge.dispute.funds_reinstated',
  'application_fee.created',
  'application_fee.refunded',
  'application_fee.refund.updated',
  'transfer.created',
  'transfer.reversed',
] as const;

export type ReplayOutcome = 'recorded' | 'applied' | 'unchanged' | 'ignored';

/**
 * Billing's side of reconciliation (src/modules/reconciliation): the ledger's money entries of a window, and the
 * replay of a Stripe event a webhook delivery lost, stored as the webhook stores it and applied by the same applier.
 */
@Injectable()
export class LedgerAuditService {
  constructor(
    private readonly em: EntityManager,
    private readonly ledger: EarningsLedger,
    private readonly webhooks: StripeWebhookService,
    private readonly applier: StripeEventApplier,
  ) {}

  moneyEntries(from: Date, to: Date): Promise<MoneyEntry[]> {
    return this.ledger.moneyEntriesBetween(this.em.fork(), from, to);
  }

  /**
   * Stores the event unless it is stored (`recorded`), then applies it now unless a worker already did (`applied`
   * when only the application was missing, `unchanged` when both were done). Idempotent, as a redelivery is. Events of
   * connected accounts are believed only for `account.*`, as at the webhook (`ignored`).
   */
  async replay(event: Stripe.Event): Promise<ReplayOutcome> {
    if (event.account && !believedFromConnectedAccount(event)) return 'ignored';
    const em = this.em.fork();
    const stored = await this.webhooks.store(event, em);
    const applied = await this.applier.applyNow(em, event.id);
    return stored ? 'recorded' : applied ? 'applied' : 'unchanged';
  }
}
