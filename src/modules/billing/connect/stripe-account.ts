import Stripe from 'stripe';
import { PayoutAccountState } from './payout-accounts.repository';

/** Stripe's account as our row keeps it. */
export function accountState(account: Stripe.Account): PayoutAccountState {
  return {
    chargesEnabled: account.charges_enabled ?? false,
    payoutsEnabled: account.payouts_enabled ?? false,
    detailsSubmitted: account.details_submitted ?? false,
    requirementsDue: account.requirements?.currently_due ?? [],
  };
}
