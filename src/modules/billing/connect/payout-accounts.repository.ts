import { LockMode } from '@mikro-orm/core';
import { EntityManager, EntityRepository } from '@mikro-orm/postgresql';
import { v7 } from 'uuid';
import { PayoutAccount } from '../entities/payout-account.entity';
import { PLATFORM_DESTINATION } from '../stripe/stripe-objects';

/** Stripe's account as a `payout_accounts` row keeps it. */
export interface PayoutAccountState {
  chargesEnabled: boolean;
  payoutsEnabled: boolean;
  detailsSubmitted: boolean;
  requirementsDue: string[];
}

/**
 * Where a creator's subscription money goes now: their live account when it can take charges (where a new checkout is
 * routed), else the platform (`PLATFORM_DESTINATION`). In the caller's transaction.
 */
export async function payoutDestinationOf(em: EntityManager, userId: string): Promise<string> {
  const [live] = await em.execute<{ stripe_account_id: string; charges_enabled: boolean }[]>(
    'select stripe_account_id, charges_enabled from payout_accounts where user_id = ? and deauthorized_at is null',
    [userId],
  );
  return live?.charges_enabled ? live.stripe_account_id : PLATFORM_DESTINATION;
}

export class PayoutAccountsRepository extends EntityRepository<PayoutAccount> {
  /** The user's account that is not deauthorized (at most one: a partial unique index). */
  findLive(userId: string): Promise<PayoutAccount | null> {
    return this.findOne({ user: userId, deauthorizedAt: null });
  }

  /** The user's newest account, live or deauthorized (`payout_accounts_user_created_idx`). */
  findNewest(userId: string): Promise<PayoutAccount | null> {
    return this.findOne({ user: userId }, { orderBy: { createdAt: 'desc', id: 'desc' } });
  }

  /**
   * How many of the user's accounts were deauthorized: numbers each new account's Stripe idempotency key. Only ended
   * accounts count, so a racing call that reads after another call stored the live account still sends the same key.
   */
  countDeauthorized(userId: string): Promise<number> {
    return this.count({ user: userId, deauthorizedAt: { $ne: null } });
  }

  /**
   * Records a new live account unless one is recorded (racing onboardings got the same account from Stripe under one
   * idempotency key): the first stored wins, and the live account is answered either way.
   */
  async insertLive(em: EntityManager, userId: string, stripeAccountId: string, state: PayoutAccountState): Promise<PayoutAccount> {
    await em.execute(
      `insert into payout_accounts (id, user_id, stripe_account_id, charges_enabled, payouts_enabled, details_submitted,
                                    requirements_due, stripe_state_at, created_at, updated_at)
       values (?, ?, ?, ?, ?, ?, ?::jsonb, clock_timestamp(), now(), now())
       on conflict do nothing`,
      [v7(), userId, stripeAccountId, state.chargesEnabled, state.payoutsEnabled, state.detailsSubmitted, JSON.stringify(state.requirementsDue)],
    );
    return em.findOneOrFail(PayoutAccount, { user: userId, deauthorizedAt: null });
  }

  /**
   * The user whose account this connected account is, live or deauthorized (money Stripe moved for an account stays
   * its creator's after the creator disconnects it). In the caller's transaction.
   */
  async userOfStripeAccount(em: EntityManager, stripeAccountId: string): Promise<string | null> {
    const [row] = await em.execute<{ user_id: string }[]>('select user_id from payout_accounts where stripe_account_id = ?', [stripeAccountId]);
    return row?.user_id ?? null;
  }

  /** The account's row, locked until the caller's transaction ends: one webhook event at a time per account. */
  lockByStripeAccountId(em: EntityManager, stripeAccountId: string): Promise<PayoutAccount | null> {
    return em.findOne(PayoutAccount, { stripeAccountId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
  }

  /** Where the creator's subscription money goes now (`payoutDestinationOf`), in the caller's transaction. */
  destinationOf(em: EntityManager, userId: string): Promise<string> {
    return payoutDestinationOf(em, userId);
  }

  /**
   * The user's live account when it can receive transfers (`payouts_enabled`): where referral shares are paid. The row
   * is share-locked until the caller's transaction ends, so an `account.updated` that turns `payouts_enabled` on
   * either commits first (and this read sees it) or waits for the caller (whose pending share its
   * `referral.payouts_ready` job then finds): a share is never left pending by the two crossing.
   */
  async transferDestinationOf(em: EntityManager, userId: string): Promise<string | null> {
    const [row] = await em.execute<{ stripe_account_id: string; payouts_enabled: boolean }[]>(
      'select stripe_account_id, payouts_enabled from payout_accounts where user_id = ? and deauthorized_at is null for share',
      [userId],
    );
    return row?.payouts_enabled ? row.stripe_account_id : null;
  }

  /** The database's clock (one for every worker), so states read from Stripe order correctly. */
  async clock(em: EntityManager): Promise<Date> {
    const [row] = await em.execute<{ now: Date }[]>('select clock_timestamp() as now');
    return new Date(row.now);
  }
}
