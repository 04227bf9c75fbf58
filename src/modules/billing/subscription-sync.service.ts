import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import Stripe from 'stripe';
import { OutboxService } from '@/common/outbox/outbox.service';
import { User } from '@/modules/users/entities/user.entity';
import { payoutDestinationOf } from './connect/payout-accounts.repository';
import { DuplicatePaymentsService } from './duplicate-payments.service';
import { EarningsRecorder } from './earnings/earnings-recorder.service';
import { Subscription, SubscriptionStatus } from './entities/subscription.entity';
import { ACCESS_STATUSES } from '@/modules/entitlements/subscriber-access';
import { SubscriptionsRepository } from './repositories/subscriptions.repository';
import { SubscriptionPairs } from './subscription-pairs.service';
import { StripeClient } from './stripe/stripe.client';
import { PLATFORM_DESTINATION, SubscriptionPair, subscriptionState, SubscriptionState } from './stripe/stripe-objects';

/** Statuses that give access: reaching one (from none running) is an activation. */
const ACCESS: ReadonlySet<SubscriptionStatus> = new Set(ACCESS_STATUSES);
/** Stripe still bills these: a second checkout would charge twice. */
export const RUNNING: ReadonlySet<SubscriptionStatus> = new Set(['active', 'trialing', 'past_due']);
/** Stripe may still bill these (now or once resumed or paid): their invoices must go where the creator's money goes. */
export const ROUTABLE: ReadonlySet<SubscriptionStatus> = new Set(['active', 'trialing', 'past_due', 'unpaid', 'incomplete', 'paused']);
const ENDED: ReadonlySet<SubscriptionStatus> = new Set(['canceled', 'incomplete_expired']);

/**
 * Keeps a `subscriptions` row equal to Stripe's subscription. Events are only a prompt: the subscription is read
 * back from Stripe (Stripe's advice for ordering) under a per-subscription lock, so whatever order or however often
 * events arrive, each write applies a state at least as new as the previous one and never moves a row backwards.
 * `stripe_state_at` (the database clock when Stripe was read) guards the same on top.
 */
@Injectable()
export class SubscriptionSyncService {
  private readonly logger = new Logger(SubscriptionSyncService.name);

  constructor(
    private readonly stripe: StripeClient,
    private readonly subscriptions: SubscriptionsRepository,
    private readonly outbox: OutboxService,
    private readonly duplicates: DuplicatePaymentsService,
    private readonly earnings: EarningsRecorder,
    private readonly pairs: SubscriptionPairs,
  ) {}

  /** In the caller's transaction: reads the subscription from Stripe and applies it. `hints` name the pair when the metadata does not. */
  refresh(em: EntityManager, stripeSubscriptionId: string, hints: Partial<SubscriptionPair> = {}): Promise<Subscription | null> {
    return this.apply(em, stripeSubscriptionId, hints, (stripe) => stripe.subscriptions.retrieve(stripeSubscriptionId));
  }

  /** Asks Stripe to end the subscription when the period ends, and applies Stripe's answer (users loaded). */
  cancelAtPeriodEnd(stripeSubscriptionId: string): Promise<Subscription | null> {
    return this.subscriptions.getEntityManager().fork().transactional(async (em: EntityManager) => {
      const row = await this.apply(em, stripeSubscriptionId, {}, (stripe) =>
        stripe.subscriptions.update(stripeSubscriptionId, { cancel_at_period_end: true }),
      );
      if (row) await em.populate(row, ['subscriber', 'creator']);
      return row;
    });
  }

  /**
   * Moves the subscription's item to `price` (a tier change, docs/billing.md#changing-tier): under the subscription's
   * lock, Stripe's state is read first (the item to move), then updated; the row takes Stripe's answer, so access
   * follows the price Stripe confirms. An upgrade is prorated now (`create_prorations`) and forgets any tier paid for
   * after a downgrade. A downgrade (`downgradeFrom`: the tier left) is not prorated (`none`: the period is paid at the
   * higher price) and keeps that tier's rank until the period end Stripe reports (`paid_tier_id`, `paid_tier_until`),
   * unless a higher one is kept already. (The SDK keys its own retries; a change back and forth is several moves, so
   * no key of ours names one.) Users loaded.
   */
  changePrice(stripeSubscriptionId: string, price: string, downgradeFrom: string | null): Promise<Subscription | null> {
    return this.subscriptions.getEntityManager().fork().transactional(async (em: EntityManager) => {
      let itemId: string | undefined;
      await this.apply(em, stripeSubscriptionId, {}, async (stripe) => {
        const remote = await stripe.subscriptions.retrieve(stripeSubscriptionId);
        itemId = remote.items.data[0]?.id;
        return remote;
      });
      if (!itemId) return null;
      const item = itemId;
      const params: Stripe.SubscriptionUpdateParams = { items: [{ id: item, price }], proration_behavior: downgradeFrom ? 'none' : 'create_prorations' };
      const row = await this.apply(em, stripeSubscriptionId, {}, (stripe) => stripe.subscriptions.update(stripeSubscriptionId, params));
      if (!row) return null;
      const paidStill = !!row.paidTierId && !!row.paidTierUntil && row.paidTierUntil > new Date();
      if (!downgradeFrom) em.assign(row, { paidTierId: null, paidTierUntil: null });
      else if (!paidStill) em.assign(row, { paidTierId: downgradeFrom, paidTierUntil: row.currentPeriodEnd ?? null });
      await em.flush();
      await em.populate(row, ['subscriber', 'creator']);
      return row;
    });
  }

  /** Ends the subscription at Stripe now (a deleted subscriber), and applies Stripe's answer. */
  cancelNow(stripeSubscriptionId: string): Promise<Subscription | null> {
    return this.subscriptions.getEntityManager().fork().transactional((em: EntityManager) =>
      this.apply(em, stripeSubscriptionId, {}, (stripe) => stripe.subscriptions.cancel(stripeSubscriptionId)),
    );
  }

  /**
   * Routes the subscription's next invoices to `destinationOf(em)` (docs/payouts.md#when-a-creator-disconnects): a
   * connected account (`transfer_data.destination`, the platform keeping `feePercent`), or the platform
   * (`PLATFORM_DESTINATION`: both fields emptied). Under the subscription's lock, Stripe's state is read first and the
   * destination decided after it, so a retried, repeated or overtaken job changes nothing that is already right; the
   * update's idempotency key names the move (from, to), so Stripe applies each move once. Applies Stripe's answer.
   */
  route(stripeSubscriptionId: string, destinationOf: (em: EntityManager) => Promise<string>, feePercent: number): Promise<'routed' | 'unchanged'> {
    return this.subscriptions.getEntityManager().fork().transactional(async (em: EntityManager) => {
      const row = await this.refresh(em, stripeSubscriptionId);
      if (!row || row.stripeSubscriptionId !== stripeSubscriptionId || !ROUTABLE.has(row.status)) return 'unchanged';
      const from = row.payoutDestination ?? PLATFORM_DESTINATION;
      const to = await destinationOf(em);
      if (from === to) return 'unchanged';
      const params: Stripe.SubscriptionUpdateParams =
        to === PLATFORM_DESTINATION ? { transfer_data: '', application_fee_percent: '' } : { transfer_data: { destination: to }, application_fee_percent: feePercent };
      const idempotencyKey = `x18-route:${stripeSubscriptionId}:${from}:${to}`;
      await this.apply(em, stripeSubscriptionId, {}, (stripe) => stripe.subscriptions.update(stripeSubscriptionId, params, { idempotencyKey }));
      return 'routed';
    });
  }

  private async apply(
    em: EntityManager,
    stripeSubscriptionId: string,
    hints: Partial<SubscriptionPair>,
    read: (stripe: Stripe) => Promise<Stripe.Subscription>,
  ): Promise<Subscription | null> {
    await this.subscriptions.lockStripeSubscription(em, stripeSubscriptionId);
    const readAt = await this.subscriptions.clock(em);
    const remote = await this.stripe.find('read a subscription', read);
    const pair = remote && (await this.pairs.of(em, remote, hints));
    if (!remote || !pair) {
      this.logger.warn(`subscription ${stripeSubscriptionId} skipped: ${remote ? 'not between two of our users' : 'unknown to Stripe'}`);
      return null;
    }
    return this.write(em, pair, subscriptionState(remote), readAt);
  }

  private async write(em: EntityManager, pair: SubscriptionPair, state: SubscriptionState, readAt: Date): Promise<Subscription> {
    const row = await this.subscriptions.findPairForUpdate(em, pair.subscriberId, pair.creatorId);
    if (row && !supersedes(row, state, readAt)) {
      // A second subscription paid while the pair's first still runs (two checkouts raced): it is given back.
      if (isDuplicate(row, state)) await this.duplicates.endSubscription(state.stripeSubscriptionId, state.latestInvoiceId);
      // The row keeps another (or a newer) state, but an ending of this subscription still counts as churn, once.
      await this.earnings.subscriberState(em, pair, state, false);
      return row;
    }
    const sameSubscription = row?.stripeSubscriptionId === state.stripeSubscriptionId;
    const wasRunning = !!row && sameSubscription && RUNNING.has(row.status);
    const routedBefore = sameSubscription ? row.payoutDestination : undefined;
    const fields = {
      stripeSubscriptionId: state.stripeSubscriptionId,
      status: state.status,
      priceCents: state.priceCents ?? row?.priceCents ?? 0,
      currency: state.currency,
      currentPeriodStart: state.currentPeriodStart,
      currentPeriodEnd: state.currentPeriodEnd,
      cancelAtPeriodEnd: state.cancelAtPeriodEnd,
      canceledAt: state.canceledAt,
      payoutDestination: state.payoutDestination,
      // Access follows the tier of the price Stripe reports (a tier change counts once Stripe confirms it).
      tierId: await this.subscriptions.tierFor(em, pair.creatorId, { named: state.tierId, productId: state.productId }, sameSubscription ? (row?.tierId ?? null) : null),
      interval: state.interval,
      bundleMonths: state.bundleMonths,
      trialEnd: state.trialEnd,
      offerCode: state.offerCode ?? null,
      // A tier paid for after a downgrade belongs to that Stripe subscription only.
      ...(sameSubscription ? {} : { paidTierId: null, paidTierUntil: null }),
      stripeStateAt: readAt,
    };
    const target = row
      ? em.assign(row, fields)
      : em.create(Subscription, { ...fields, subscriber: em.getReference(User, pair.subscriberId), creator: em.getReference(User, pair.creatorId) });
    if (ACCESS.has(state.status) && !wasRunning) {
      this.outbox.record(em, 'subscription.activated', { subscriptionId: target.id, ...pair });
    }
    if (ROUTABLE.has(state.status) && state.payoutDestination !== routedBefore) {
      // A subscription paying out elsewhere than the creator's money goes now (its checkout was opened before they
      // reconnected, or the routing job's event was lost): the routing job moves it (docs/payouts.md#subscription-routing).
      if ((await payoutDestinationOf(em, pair.creatorId)) !== state.payoutDestination) {
        this.outbox.record(em, 'payouts.routing_changed', { creatorId: pair.creatorId, afterSubscriptionId: null });
      }
    }
    await em.flush();
    // The ledger after the subscription row, never before (the lock order, docs/billing.md#lock-order).
    await this.earnings.subscriberState(em, pair, state);
    return target;
  }
}

/** Another subscription than the row's, running while the row's still runs. */
function isDuplicate(row: Subscription, state: SubscriptionState): boolean {
  return !!row.stripeSubscriptionId && row.stripeSubscriptionId !== state.stripeSubscriptionId && RUNNING.has(row.status) && RUNNING.has(state.status);
}

/**
 * Whether Stripe's `state` (read at `readAt`) replaces the row. The same subscription: when read later than the row's
 * state. Another one: a new subscription replaces a row whose subscription stopped running, but the late news of an
 * ended one never replaces anything.
 */
export function supersedes(row: Subscription, state: SubscriptionState, readAt: Date): boolean {
  if (row.stripeSubscriptionId === state.stripeSubscriptionId) return !row.stripeStateAt || row.stripeStateAt < readAt;
  if (!row.stripeSubscriptionId) return true;
  return !RUNNING.has(row.status) && !ENDED.has(state.status);
}
