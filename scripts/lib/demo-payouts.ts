import { CopyValue, isoMs } from './copy';
import { DemoOptions, Users } from './demo-graph';
import { Rng } from './prng';
import { uuid7 } from './uuid7';

export const PAYOUT_ACCOUNT_COLUMNS = [
  'id', 'user_id', 'stripe_account_id', 'charges_enabled', 'payouts_enabled', 'details_submitted', 'requirements_due',
  'stripe_state_at', 'created_at', 'updated_at',
];

/**
 * Every creator with a price is onboarded to Stripe Connect, as `CONNECT_REQUIRED=true` (the default) requires of a
 * price: a live account with charges and payouts enabled. The account ids are fake (`acct_demo…`): nothing here
 * exists at Stripe, so checkouts still need a real Stripe and real onboarding (docs/payouts.md).
 */
export function payoutAccountRows(o: DemoOptions, u: Users): CopyValue[][] {
  const rng = new Rng(o.seed, 13);
  const rows: CopyValue[][] = [];
  for (let i = 0; i < u.n; i++) {
    if (!u.priceCents[i]) continue;
    // Onboarded a day after signing up.
    const at = Math.min(o.now, u.created[i] + 86_400_000);
    const account = `acct_demo${String(o.seed).padStart(4, '0')}${String(i).padStart(7, '0')}`;
    rows.push([uuid7(at, rng), u.ids[i], account, true, true, true, '[]', isoMs(at), isoMs(at), isoMs(at)]);
  }
  return rows;
}
