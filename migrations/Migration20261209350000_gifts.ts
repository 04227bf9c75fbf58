import { Migration } from '@mikro-orm/migrations';

const KINDS = `'subscription_payment', 'unlock', 'refund', 'dispute', 'dispute_won', 'subscriber_started', 'subscriber_ended',
      'application_fee', 'application_fee_refund', 'transfer', 'transfer_reversal', 'message_unlock', 'tip',
      'referral_share', 'referral_share_reversal'`;
const TYPES = `'follow', 'like', 'reply', 'mention', 'repost', 'subscription', 'post_unlocked', 'subscribed_post', 'report_resolved', 'message_unlocked', 'tip'`;

/**
 * Gifts (issue 27, docs/billing.md#gifts): billing's `gifts`, one row per gift checkout (`pending` until Stripe reports
 * it paid; unique on its checkout session and payment intent, so a replayed completion records nothing twice), whose
 * `[starts_at, ends_at)` is the grant the access policy honours (`paid` only); the ledger kind `gift`; the
 * `gift_received` notification. `redeem_token_hash`: sha256 of an e-mailed gift's token, single use. No foreign keys,
 * as `tips`: a payment record outlives the erasure of either account.
 */
export class Migration20261209350000_gifts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "gifts" (
      "id" uuid not null,
      "gifter_id" uuid not null,
      "creator_id" uuid not null,
      "tier_id" uuid not null,
      "recipient_id" uuid null,
      "recipient_email" varchar(320) null,
      "months" smallint not null,
      "message" varchar(500) null,
      "amount_cents" int not null,
      "currency" varchar(3) not null default 'usd',
      "status" varchar(20) not null default 'pending',
      "stripe_checkout_session_id" varchar(255) not null,
      "stripe_payment_intent_id" varchar(255) null,
      "redeem_token_hash" varchar(64) null,
      "starts_at" timestamptz null,
      "ends_at" timestamptz null,
      "paid_at" timestamptz null,
      "redeemed_at" timestamptz null,
      "refunded_at" timestamptz null,
      "created_at" timestamptz not null default now(),
      constraint "gifts_pkey" primary key ("id"),
      constraint "gifts_stripe_checkout_session_id_unique" unique ("stripe_checkout_session_id"),
      constraint "gifts_stripe_payment_intent_id_unique" unique ("stripe_payment_intent_id"),
      constraint "gifts_redeem_token_hash_unique" unique ("redeem_token_hash"),
      constraint "gifts_status_check" check ("status" in ('pending', 'paid', 'refunded', 'disputed'))
    );`);
    this.addSql('create index "gifts_recipient_creator_index" on "gifts" ("recipient_id", "creator_id", "ends_at");');
    this.addSql('create index "gifts_creator_id_index" on "gifts" ("creator_id");');
    this.addSql('create index "gifts_gifter_id_index" on "gifts" ("gifter_id");');
    this.addSql('alter table "earnings_entries" drop constraint "earnings_entries_kind_check";');
    this.addSql(`alter table "earnings_entries" add constraint "earnings_entries_kind_check" check ("kind" in (${KINDS}, 'gift'));`);
    this.addSql(`alter table "notifications" drop constraint "notifications_type_check";`);
    this.addSql(`alter table "notifications" add constraint "notifications_type_check" check ("type" in (${TYPES}, 'gift_received'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`delete from "notifications" where "type" = 'gift_received';`);
    this.addSql(`alter table "notifications" drop constraint "notifications_type_check";`);
    this.addSql(`alter table "notifications" add constraint "notifications_type_check" check ("type" in (${TYPES}));`);
    this.addSql(`delete from "earnings_entries" where "kind" = 'gift';`);
    this.addSql('alter table "earnings_entries" drop constraint "earnings_entries_kind_check";');
    this.addSql(`alter table "earnings_entries" add constraint "earnings_entries_kind_check" check ("kind" in (${KINDS}));`);
    this.addSql('drop table if exists "gifts" cascade;');
  }
}
