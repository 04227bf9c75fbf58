import { Migration } from '@mikro-orm/migrations';

/**
 * Tiers (issue 27, docs/billing.md#tiers): billing's `tiers` (up to 5 non-archived per creator, ranked by `position`,
 * each with its Stripe product and its monthly and yearly prices, with the amount each price charges); subscriptions
 * gain `tier_id`, `interval`, `trial_end`, and `paid_tier_id` with `paid_tier_until` (a downgrade's higher tier, paid until
 * the period end); posts gain `min_tier_id`. No foreign keys across modules (as `tips`):
 * ids only, the owning modules check them.
 *
 * Existing data: every creator with a price, or with subscribers, gets tier 1 (position 1) at their price, on their
 * existing product and price (`billing_profiles`, when that price still charges the amount); a creator without a price
 * gets it archived (at the price their subscribers paid most recently). Every subscription joins its creator's tier 1,
 * monthly.
 */
export class Migration20261209150000_tiers extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "tiers" (
      "id" uuid not null,
      "creator_id" uuid not null,
      "name" varchar(60) not null,
      "description" varchar(500) null,
      "benefits" text[] not null default '{}',
      "monthly_price_cents" int not null,
      "yearly_price_cents" int null,
      "currency" varchar(3) not null default 'usd',
      "trial_days" int not null default 0,
      "position" int not null,
      "archived" boolean not null default false,
      "stripe_product_id" varchar(255) null,
      "stripe_monthly_price_id" varchar(255) null,
      "stripe_monthly_price_cents" int null,
      "stripe_yearly_price_id" varchar(255) null,
      "stripe_yearly_price_cents" int null,
      "created_at" timestamptz not null default now(),
      "updated_at" timestamptz not null default now(),
      constraint "tiers_pkey" primary key ("id"),
      constraint "tiers_creator_id_position_unique" unique ("creator_id", "position")
    );`);
    this.addSql('alter table "subscriptions" add column "tier_id" uuid null, add column "interval" varchar(5) not null default \'month\', add column "trial_end" timestamptz null;');
    // A downgrade keeps the higher tier paid for until the period end Stripe reported (docs/billing.md#changing-tier).
    this.addSql('alter table "subscriptions" add column "paid_tier_id" uuid null, add column "paid_tier_until" timestamptz null;');
    this.addSql('create index "subscriptions_tier_id_index" on "subscriptions" ("tier_id");');
    this.addSql('alter table "posts" add column "min_tier_id" uuid null;');
    this.addSql(`insert into "tiers" ("id", "creator_id", "name", "monthly_price_cents", "currency", "position", "archived",
        "stripe_product_id", "stripe_monthly_price_id", "stripe_monthly_price_cents")
      select uuid_generate_v7(), u.id, 'Subscription',
        greatest(100, least(100000, coalesce(u.subscription_price_cents,
          (select s.price_cents from subscriptions s where s.creator_id = u.id order by s.created_at desc limit 1), 500))),
        u.currency, 1, u.subscription_price_cents is null,
        bp.stripe_product_id,
        case when bp.stripe_price_cents = u.subscription_price_cents then bp.stripe_price_id end,
        case when bp.stripe_price_cents = u.subscription_price_cents then bp.stripe_price_cents end
      from users u left join billing_profiles bp on bp.user_id = u.id
      where u.subscription_price_cents is not null or exists (select 1 from subscriptions s where s.creator_id = u.id);`);
    this.addSql('update "subscriptions" s set "tier_id" = t.id from "tiers" t where t.creator_id = s.creator_id and t.position = 1;');
  }

  override async down(): Promise<void> {
    this.addSql('alter table "posts" drop column "min_tier_id";');
    this.addSql('drop index "subscriptions_tier_id_index";');
    this.addSql('alter table "subscriptions" drop column "tier_id", drop column "interval", drop column "trial_end", drop column "paid_tier_id", drop column "paid_tier_until";');
    this.addSql('drop table if exists "tiers" cascade;');
  }
}
