import { Migration } from '@mikro-orm/migrations';

/**
 * Buying a paid message (issue 26, docs/inbox.md#buying-a-paid-message): billing's `message_unlocks`, shaped as
 * `post_unlocks`; the message a payment-mode checkout asked for (`checkout_sessions.message_id`); the ledger kind
 * `message_unlock`; the `message_unlocked` notification. No foreign keys on `message_unlocks`, as `checkout_sessions`:
 * a purchase is a payment record that outlives the message's or the sender's erasure, and names them by id only.
 */
export class Migration20261208110000_message_unlocks extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "message_unlocks" (
      "id" uuid not null,
      "user_id" uuid not null,
      "message_id" uuid not null,
      "price_cents" int not null,
      "currency" varchar(3) not null default 'usd',
      "status" varchar(20) not null default 'paid',
      "stripe_checkout_session_id" varchar(255) null,
      "stripe_payment_intent_id" varchar(255) null,
      "created_at" timestamptz not null default now(),
      "refunded_at" timestamptz null,
      constraint "message_unlocks_pkey" primary key ("id"),
      constraint "message_unlocks_user_id_message_id_unique" unique ("user_id", "message_id"),
      constraint "message_unlocks_stripe_checkout_session_id_unique" unique ("stripe_checkout_session_id"),
      constraint "message_unlocks_status_check" check ("status" in ('paid', 'refunded', 'disputed'))
    );`);
    this.addSql('create index "message_unlocks_stripe_payment_intent_id_index" on "message_unlocks" ("stripe_payment_intent_id");');
    this.addSql('alter table "checkout_sessions" add column "message_id" uuid null;');
    this.addSql('alter table "earnings_entries" drop constraint "earnings_entries_kind_check";');
    this.addSql(`alter table "earnings_entries" add constraint "earnings_entries_kind_check" check ("kind" in (
      'subscription_payment', 'unlock', 'refund', 'dispute', 'dispute_won', 'subscriber_started', 'subscriber_ended',
      'application_fee', 'application_fee_refund', 'transfer', 'transfer_reversal', 'message_unlock'
    ));`);
    this.addSql(`alter table "notifications" drop constraint "notifications_type_check";`);
    this.addSql(`alter table "notifications" add constraint "notifications_type_check" check ("type" in (
      'follow', 'like', 'reply', 'mention', 'repost', 'subscription', 'post_unlocked', 'subscribed_post', 'report_resolved', 'message_unlocked'
    ));`);
  }

  override async down(): Promise<void> {
    this.addSql(`delete from "notifications" where "type" = 'message_unlocked';`);
    this.addSql(`alter table "notifications" drop constraint "notifications_type_check";`);
    this.addSql(`alter table "notifications" add constraint "notifications_type_check" check ("type" in (
      'follow', 'like', 'reply', 'mention', 'repost', 'subscription', 'post_unlocked', 'subscribed_post', 'report_resolved'
    ));`);
    this.addSql('alter table "earnings_entries" drop constraint "earnings_entries_kind_check";');
    this.addSql(`alter table "earnings_entries" add constraint "earnings_entries_kind_check" check ("kind" in (
      'subscription_payment', 'unlock', 'refund', 'dispute', 'dispute_won', 'subscriber_started', 'subscriber_ended',
      'application_fee', 'application_fee_refund', 'transfer', 'transfer_reversal'
    ));`);
    this.addSql('alter table "checkout_sessions" drop column "message_id";');
    this.addSql('drop table if exists "message_unlocks" cascade;');
  }
}
