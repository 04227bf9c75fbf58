import { Migration } from '@mikro-orm/migrations';

/**
 * Offers' discounts in earnings (issue 27, docs/billing.md#earnings): `earnings_entries.discount_cents`, what the
 * discounts took off a paid subscription invoice (Stripe's `total_discount_amounts`, booked with its payment from now
 * on; 0 for every other kind and for the entries recorded before), summed per month as `earnings_months.discount_cents`.
 */
export class Migration20261209410000_earnings_discounts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "earnings_entries" add column "discount_cents" int not null default 0;`);
    this.addSql(`alter table "earnings_months" add column "discount_cents" bigint not null default 0;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "earnings_months" drop column "discount_cents";`);
    this.addSql(`alter table "earnings_entries" drop column "discount_cents";`);
  }
}
