import { Migration } from '@mikro-orm/migrations';

/**
 * MRR at the monthly equivalent (docs/billing.md#earnings):
 * - `subscriptions.bundle_months`: the length in months of a bundle's billing period (docs/billing.md#bundles), null
 *   for a plain monthly or yearly subscription;
 * - `subscription_revenue_apply()` sums each subscription's price per month: `price_cents` divided by the months its
 *   billing period covers (12 for `interval = 'year'`, `bundle_months` for a bundle, else 1), rounded to the cent per
 *   subscription (the same expression as `monthlyEquivalentCents` in entitlements' queries);
 * - `subscription_revenue.monthly_cents` recomputed from `subscriptions` under the new rule.
 */
const MONTHS = `(case when interval = 'year' then 12 else coalesce(bundle_months, 1) end)`;

export class Migration20261209250000_mrr_monthly_equivalent extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "subscriptions" add column "bundle_months" smallint null;');
    this.addSql(this.applyFunction(`round(price_cents::numeric / ${MONTHS})`));
    this.addSql('lock table "subscriptions" in share mode;');
    this.addSql(`update subscription_revenue r set monthly_cents = coalesce((select sum(round(price_cents::numeric / ${MONTHS}))::int8 from subscriptions s
      where s.creator_id = r.creator_id and s.currency = r.currency and s.status in ('active', 'trialing')), 0);`);
  }

  override async down(): Promise<void> {
    this.addSql(this.applyFunction('price_cents'));
    this.addSql(`update subscription_revenue r set monthly_cents = coalesce((select sum(price_cents)::int8 from subscriptions s
      where s.creator_id = r.creator_id and s.currency = r.currency and s.status in ('active', 'trialing')), 0);`);
    this.addSql('alter table "subscriptions" drop column "bundle_months";');
  }

  /** Migration20261204000000_earnings's statement trigger function, summing `monthly` per subscription. */
  private applyFunction(monthly: string): string {
    const delta = (rows: string, sign: string) =>
      `select creator_id, currency, ${sign}count(*)::int as subscribers, ${sign}sum(${monthly})::int8 as monthly_cents
         from ${rows} where status in ('active', 'trialing') group by creator_id, currency`;
    const upsert = (deltas: string) => `insert into subscription_revenue as r (creator_id, currency, subscribers, monthly_cents)
        select creator_id, currency, sum(subscribers), sum(monthly_cents) from (${deltas}) d group by creator_id, currency
        having sum(subscribers) <> 0 or sum(monthly_cents) <> 0
        on conflict (creator_id, currency) do update
          set subscribers = r.subscribers + excluded.subscribers, monthly_cents = r.monthly_cents + excluded.monthly_cents;`;
    return `create or replace function subscription_revenue_apply() returns trigger language plpgsql as $$
      begin
        if tg_op = 'INSERT' then
          ${upsert(delta('new_rows', ''))}
        elsif tg_op = 'DELETE' then
          ${upsert(delta('old_rows', '-'))}
        else
          ${upsert(`${delta('new_rows', '')} union all ${delta('old_rows', '-')}`)}
        end if;
        return null;
      end
    $$;`;
  }
}
