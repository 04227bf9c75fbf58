import { Migration } from '@mikro-orm/migrations';

/**
 * Bundles (docs/billing.md#bundles):
 * - `creator_bundles`: a creator's bundles, one per length (`months` 3, 6 or 12) with its `discount_percent` (1-50);
 *   `PUT /me/bundles` replaces the set.
 * - `tier_bundle_prices`: per tier and length, the Stripe price (monthly, `interval_count` = months) of the amount it
 *   charges, created at the first checkout of that bundle; a new amount (tier price or discount) replaces it for new
 *   checkouts (running subscriptions keep the price they were bought at, as tiers' prices).
 * No foreign keys (as `tiers`): billing's rows outlive an erased account.
 */
export class Migration20261209260000_bundles extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "creator_bundles" (
      "creator_id" uuid not null,
      "months" smallint not null,
      "discount_percent" smallint not null,
      "created_at" timestamptz not null default now(),
      constraint "creator_bundles_pkey" primary key ("creator_id", "months")
    );`);
    this.addSql(`create table "tier_bundle_prices" (
      "tier_id" uuid not null,
      "months" smallint not null,
      "price_cents" int not null,
      "stripe_price_id" varchar(255) not null,
      "created_at" timestamptz not null default now(),
      constraint "tier_bundle_prices_pkey" primary key ("tier_id", "months")
    );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "tier_bundle_prices";');
    this.addSql('drop table if exists "creator_bundles";');
  }
}
