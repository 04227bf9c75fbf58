import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import Stripe from 'stripe';
import { OutboxService } from '@/common/outbox/outbox.service';
import { UsersService } from '@/modules/users/users.service';
import { PayoutAccount } from '../entities/payout-account.entity';
import { isUuid } from '../stripe/stripe-objects';
import { StripeClient } from '../stripe/stripe.client';
import { PayoutAccountsRepository } from './payout-accounts.repository';
import { accountState } from './stripe-account';

/**
 * Applies Stripe's account events in the webhook worker's transaction (StripeEventApplier). As for subscriptions,
 * `account.updated` is only a prompt: the account is read back from Stripe under a per-account lock, so events in any
 * order or repeated apply the newest state and never move a row backwards (`stripe_state_at`). A deauthorization is
 * final for that account: later news of it changes nothing, and the creator's next onboarding makes a new account.
 */
@Injectable()
export class PayoutAccountSyncService {
  private readonly logger = new Logger(PayoutAccountSyncService.name);

  constructor(
    private readonly stripe: StripeClient,
    private readonly accounts: PayoutAccountsRepository,
    private readonly users: UsersService,
    private readonly outbox: OutboxService,
  ) {}

  async accountUpdated(em: EntityManager, stripeAccountId: string): Promise<void> {
    await this.lock(em, stripeAccountId);
    const row = await em.findOne(PayoutAccount, { stripeAccountId });
    if (row?.deauthorizedAt) return;
    const readAt = await this.accounts.clock(em);
    const remote = await this.read(stripeAccountId);
    if (!remote) {
      this.logger.warn(`account ${stripeAccountId} skipped: Stripe does not show it to us (missing or disconnected)`);
      return;
    }
    if (!row) return this.adopt(em, remote);
    if (row.stripeStateAt && row.stripeStateAt >= readAt) return;
    const state = accountState(remote);
    if (state.chargesEnabled !== row.chargesEnabled) this.routingChanged(em, row.user.id);
    if (state.payoutsEnabled && !row.payoutsEnabled) this.payoutsReady(em, row.user.id);
    em.assign(row, { ...state, stripeStateAt: readAt });
    await em.flush();
  }

  /** `account.application.deauthorized`: the creator disconnected the platform; nothing is routed there any more. */
  async deauthorized(em: EntityManager, stripeAccountId: string | undefined): Promise<void> {
    if (!stripeAccountId) return;
    await this.lock(em, stripeAccountId);
    const row = await em.findOne(PayoutAccount, { stripeAccountId });
    if (!row || row.deauthorizedAt) return;
    const at = await this.accounts.clock(em);
    em.assign(row, { deauthorizedAt: at, chargesEnabled: false, payoutsEnabled: false, stripeStateAt: at });
    this.routingChanged(em, row.user.id);
    await em.flush();
  }

  /**
   * The creator's money goes elsewhere from now on (SubscriptionRoutingService): recorded in this transaction, so the
   * running subscriptions follow exactly when the account's change commits. Only on a change: a repeated or late
   * event that changes nothing records nothing.
   */
  private routingChanged(em: EntityManager, creatorId: string): void {
    this.outbox.record(em, 'payouts.routing_changed', { creatorId, afterSubscriptionId: null });
  }

  /**
   * The user's account can receive transfers now: their pending referral shares are paid (ReferralPayoutsService,
   * docs/billing.md#referral-rewards). Only when `payouts_enabled` turns true.
   */
  private payoutsReady(em: EntityManager, userId: string): void {
    this.outbox.record(em, 'referral.payouts_ready', { referrerId: userId, afterShareId: null });
  }

  /**
   * An account of ours (`metadata.user_id`, set at creation) that no row names: onboarding created it at Stripe but
   * has not stored it yet, or never did (a crash between the two). Recorded as the user's live account if they have
   * none; onboarding's own insert then keeps this row.
   */
  private async adopt(em: EntityManager, remote: Stripe.Account): Promise<void> {
    const userId = remote.metadata?.user_id;
    if (!isUuid(userId) || (await this.users.countExisting(em, [userId])) === 0) {
      this.logger.warn(`account ${remote.id} skipped: not one of our users' accounts`);
      return;
    }
    const state = accountState(remote);
    const row = await this.accounts.insertLive(em, userId, remote.id, state);
    if (row.stripeAccountId === remote.id && state.chargesEnabled) this.routingChanged(em, userId);
    if (row.stripeAccountId === remote.id && state.payoutsEnabled) this.payoutsReady(em, userId);
  }

  /** Everything done for one Stripe account, serialised until the transaction ends (read from Stripe, then write). */
  private async lock(em: EntityManager, stripeAccountId: string): Promise<void> {
    await em.execute('select pg_advisory_xact_lock(hashtext(?))', [`stripe-account:${stripeAccountId}`]);
  }

  /** The account as Stripe shows it now; null when it is gone or no longer connected to the platform. */
  private read(stripeAccountId: string): Promise<Stripe.Account | null> {
    return this.stripe.find('read a connected account', (stripe) =>
      stripe.accounts.retrieve(stripeAccountId).catch((error: unknown) => {
        // A disconnected account is no longer ours to read: its deauthorization event says the rest.
        if (error instanceof Stripe.errors.StripePermissionError) return null;
        throw error;
      }),
    );
  }
}
