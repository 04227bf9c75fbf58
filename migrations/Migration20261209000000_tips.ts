import { Migration } from '@mikro-orm/migrations';

/**
 * Tips (issue 26, docs/inbox.md#tips): billing's `tips` (one row per paid tip, unique on its checkout session and on
 * its payment intent, so a replayed completion or a refund that overtook it records nothing twice); what a tip checkout
 * asked (`checkout_sessions.tip_for`, `tip_message`); the ledger kind `tip`; the `tip` notification with its amount
 * (`notifications.amount_cents`, `currency`). No foreign keys on `tips`, as `checkout_sessions` and the unlocks: a
 * payment record outlives the erasure of either account, of the post or of the conversation, and names them by id.
 */
export class Migration20261209000000_tips extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "tips" (
      "id" uuid not null,
      "tipper_id" uuid not null,
      "creator_id" uuid not null,
      "post_id" uuid null,
      "conversation_id" uuid null,
      "amount_cents" int not null,
      "currency" varchar(3) not null default 'usd',
      "message" varchar(280) null,
      "status" varchar(20) not null default 'paid',
      "stripe_checkout_session_id" varchar(255) null,
      "stripe_payment_intent_id" varchar(255) null,
      "created_at" timestamptz not null default now(),
      "refunded_at" timestamptz null,
      constraint "tips_pkey" primary key ("id"),
      constraint "tips_stripe_checkout_session_id_unique" unique ("stripe_checkout_session_id"),
      constraint "tips_stripe_payment_intent_id_unique" unique ("stripe_payment_intent_id"),
      constraint "tips_status_check" check ("status" in ('paid', 'refunded', 'disputed'))
    );`);
    this.addSql('create index "tips_creator_id_index" on "tips" ("creator_id");');
    this.addSql('create index "tips_tipper_id_index" on "tips" ("tipper_id");');
    this.addSql('alter table "checkout_sessions" add column "tip_for" varchar(100) null, add column "tip_message" varchar(280) null;');
    this.addSql('alter table "earnings_entries" drop constraint "earnings_entries_kind_check";');
    this.addSql(`alter table "earnings_entries" add constraint "earnings_entries_kind_check" check ("kind" in (
      'subscription_payment', 'unlock', 'refund', 'dispute', 'dispute_won', 'subscriber_started', 'subscriber_ended',
      'application_fee', 'application_fee_refund', 'transfer', 'transfer_reversal', 'message_unlock', 'tip'
    ));`);
    this.addSql('alter table "notifications" add column "amount_cents" int null, add column "currency" varchar(3) null;');
    this.addSql(`alter table "notifications" drop constraint "notifications_type_check";`);
    this.addSql(`alter table "notifications" add constraint "notifications_type_check" check ("type" in (
      'follow', 'like', 'reply', 'mention', 'repost', 'subscription', 'post_unlocked', 'subscribed_post', 'report_resolved', 'message_unlocked', 'tip'
    ));`);
  }

  override async down(): Promise<void> {
    this.addSql(`delete from "notifications" where "type" = 'tip';`);
    this.addSql(`alter table "notifications" drop constraint "notifications_type_check";`);
    this.addSql(`alter table "notifications" add constraint "notifications_type_check" check ("type" in (
      'follow', 'like', 'reply', 'mention', 'repost', 'subscription', 'post_unlocked', 'subscribed_post', 'report_resolved', 'message_unlocked'
    ));`);
    this.addSql('alter table "notifications" drop column "amount_cents", drop column "currency";');
    this.addSql('alter table "earnings_entries" drop constraint "earnings_entries_kind_check";');
    this.addSql(`alter table "earnings_entries" add constraint "earnings_entries_kind_check" check ("kind" in (
      'subscription_payment', 'unlock', 'refund', 'dispute', 'dispute_won', 'subscriber_started', 'subscriber_ended',
      'application_fee', 'application_fee_refund', 'transfer', 'transfer_reversal', 'message_unlock'
    ));`);
    this.addSql('alter table "checkout_sessions" drop column "tip_for", drop column "tip_message";');
    this.addSql('drop table if exists "tips" cascade;');
  }
}
