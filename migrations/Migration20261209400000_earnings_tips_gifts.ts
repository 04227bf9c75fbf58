import { Migration } from '@mikro-orm/migrations';

/**
 * Earnings per month by kind of income (issue 27, docs/billing.md#earnings): `earnings_months.tip_cents` and
 * `gift_cents`, the gross of the month's `tip` and `gift` ledger entries (kept with the other sums in each entry's
 * transaction), filled here from the ledger for the months recorded so far.
 */
export class Migration20261209400000_earnings_tips_gifts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "earnings_months" add column "tip_cents" bigint not null default 0, add column "gift_cents" bigint not null default 0;`);
    this.addSql(`update earnings_months m set tip_cents = e.tip_cents, gift_cents = e.gift_cents
      from (select creator_id, currency, date_trunc('month', occurred_at at time zone 'UTC')::date as month,
                   coalesce(sum(gross_cents) filter (where kind = 'tip'), 0) as tip_cents,
                   coalesce(sum(gross_cents) filter (where kind = 'gift'), 0) as gift_cents
              from earnings_entries where kind in ('tip', 'gift') group by 1, 2, 3) e
     where m.creator_id = e.creator_id and m.currency = e.currency and m.month = e.month;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "earnings_months" drop column "tip_cents", drop column "gift_cents";`);
  }
}
