import { percentFee } from '@/modules/billing/earnings/money';
import { CopyValue, isoMs } from './copy';
import { CREATOR, CREATOR_FOLLOWERS, DemoOptions, Users } from './demo-graph';
import { Posts } from './demo-posts';
import { Rng } from './prng';
import { uuid7 } from './uuid7';

const DAY = 86_400_000;
const MONTH = 30 * DAY;

export const EARNINGS_COLUMNS = [
  'id', 'creator_id', 'kind', 'gross_cents', 'fee_cents', 'net_cents', 'amount_cents', 'currency', 'counterparty_id', 'stripe_object_id',
  'stripe_event_id', 'stripe_invoice_id', 'stripe_charge_id', 'stripe_payment_intent_id', 'stripe_checkout_session_id',
  'stripe_subscription_id', 'occurred_at',
];

/**
 * demo_creator's earnings ledger, a year of it, as the Stripe worker would have written it (fee: `feeBasisPoints`, as
 * in platform-collects mode): its active subscribers started over the last 12 months (more of them recently) and paid
 * every 30 days since; past subscribers (three for every ten active ones) paid for a few months and churned; its
 * pay-per-view sales are the seeded `post_unlocks`; about 1 % of subscription payments were refunded and 0.3 %
 * disputed. `subscriptions` and `unlocks` are the rows seeded for those tables.
 */
export function earningsRows(o: DemoOptions, u: Users, p: Posts, subscriptions: CopyValue[][], unlocks: CopyValue[][], feeBasisPoints: number): CopyValue[][] {
  const rng = new Rng(o.seed, 10);
  const rows: CopyValue[][] = [];
  const creatorId = u.ids[CREATOR];
  const price = u.priceCents[CREATOR] || 500;
  const fee = percentFee(price, feeBasisPoints);
  let serial = 0;
  const id = () => `${o.seed}_${++serial}`;
  const row = (kind: string, at: number, gross: number, feeCents: number, who: string, object: string, ids: Partial<Record<'invoice' | 'charge' | 'pi' | 'cs' | 'sub', string>>) =>
    rows.push([
      uuid7(at, rng), creatorId, kind, gross, feeCents, gross - feeCents, gross, 'usd', who, object, kind.startsWith('subscriber_') ? null : `evt_demo_${id()}`,
      ids.invoice ?? null, ids.charge ?? null, ids.pi ?? null, ids.cs ?? null, ids.sub ?? null, isoMs(at),
    ]);

  /** One subscription's history: started, paid every 30 days from `start` until `end` (or now), maybe ended. */
  const subscription = (who: string, sub: string, start: number, end: number | null) => {
    row('subscriber_started', start, 0, 0, who, sub, { sub });
    for (let at = start; at < (end ?? o.now); at += MONTH) {
      const n = id();
      const paid = { invoice: `in_demo_${n}`, charge: `ch_demo_${n}`, pi: `pi_demo_${n}`, sub };
      row('subscription_payment', at, price, fee, who, paid.invoice, paid);
      const later = Math.min(at + (1 + rng.int(10)) * DAY, o.now - 1);
      if (rng.chance(0.01)) row('refund', later, -price, -fee, who, `${paid.charge}:refunded:${price}`, paid);
      else if (rng.chance(0.003)) row('dispute', later, -price, -fee, who, `dp_demo_${n}`, paid);
    }
    if (end !== null) row('subscriber_ended', end, 0, 0, who, sub, { sub });
  };

  const earliest = o.now - 12 * MONTH + DAY;
  for (const s of subscriptions) {
    if (s[2] !== creatorId) continue;
    // 1 - sqrt(x): more recent starts than old ones, a growing creator.
    const start = Math.max(o.now - Math.floor((1 - Math.sqrt(rng.next())) * 12 * MONTH) - 1, earliest);
    subscription(s[1] as string, s[6] as string, start, null);
  }
  const followers = Math.min(CREATOR_FOLLOWERS, u.n - 1);
  const active = rows.filter((r) => r[2] === 'subscriber_started').length;
  for (let k = 0; k < Math.round(active * 0.3); k++) {
    const start = earliest + rng.int(11 * MONTH);
    const months = 1 + rng.int(Math.max(1, Math.floor((o.now - start) / MONTH)));
    subscription(u.ids[1 + rng.int(followers)], `sub_demo_${o.seed}_past_${k}`, start, Math.min(start + months * MONTH - DAY, o.now - 1));
  }

  const creatorPosts = new Set<string>();
  for (let i = 0; i < p.n; i++) if (p.author[i] === CREATOR) creatorPosts.add(p.ids[i]);
  for (const un of unlocks) {
    if (!creatorPosts.has(un[2] as string)) continue;
    const gross = un[3] as number;
    const at = Date.parse(un[8] as string);
    row('unlock', at, gross, percentFee(gross, feeBasisPoints), un[1] as string, un[6] as string, { cs: un[6] as string, pi: un[7] as string });
  }
  return rows;
}
