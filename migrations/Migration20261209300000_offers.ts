import { Migration } from '@mikro-orm/migrations';

/**
 * Offers (issue 27, docs/billing.md#offers): billing's `offers` (a creator's discount codes, unique per creator, with
 * the count of redemptions reserved so far, claimed by one conditional update) and `offer_redemptions` (one per offer
 * and fan: a checkout's reservation, released once its checkout can no longer be paid); the code a subscription was
 * bought with (`subscriptions.offer_code`, from the Stripe subscription's metadata). No foreign keys, as the other
 * billing records: an offer outlives the erasure of accounts and names them by id.
 */
export class Migration20261209300000_offers extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "offers" (
      "id" uuid not null,
      "creator_id" uuid not null,
      "code" varchar(32) not null,
      "kind" varchar(10) not null,
      "percent_off" int null,
      "amount_off_cents" int null,
      "currency" varchar(3) not null default 'usd',
      "trial_days" int null,
      "duration" varchar(10) not null,
      "duration_months" int null,
      "tier_ids" uuid[] null,
      "audience" varchar(10) not null,
      "max_redemptions" int null,
      "redemptions_count" int not null default 0,
      "expires_at" timestamptz null,
      "active" boolean not null default true,
      "stripe_coupon_id" varchar(255) null,
      "created_at" timestamptz not null default now(),
      constraint "offers_pkey" primary key ("id"),
      constraint "offers_creator_id_code_unique" unique ("creator_id", "code"),
      constraint "offers_kind_check" check ("kind" in ('percent', 'fixed', 'free_trial')),
      constraint "offers_duration_check" check ("duration" in ('once', 'repeating', 'forever')),
      constraint "offers_audience_check" check ("audience" in ('new', 'returning', 'everyone')),
      constraint "offers_redemptions_check" check (redemptions_count >= 0 and (max_redemptions is null or redemptions_count <= max_redemptions))
    );`);
    this.addSql('create index "offers_creator_id_created_at_index" on "offers" ("creator_id", "created_at");');
    this.addSql(`create table "offer_redemptions" (
      "offer_id" uuid not null,
      "subscriber_id" uuid not null,
      "reserved_until" timestamptz not null,
      "created_at" timestamptz not null default now(),
      constraint "offer_redemptions_pkey" primary key ("offer_id", "subscriber_id")
    );`);
    this.addSql('create index "offer_redemptions_offer_id_reserved_until_index" on "offer_redemptions" ("offer_id", "reserved_until");');
    this.addSql('alter table "subscriptions" add column "offer_code" varchar(32) null;');
  }

  override async down(): Promise<void> {
    this.addSql('alter table "subscriptions" drop column "offer_code";');
    this.addSql('drop table if exists "offer_redemptions";');
    this.addSql('drop table if exists "offers";');
  }
}
