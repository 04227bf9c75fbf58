import { Migration } from '@mikro-orm/migrations';

const KINDS_BEFORE = `'subscription_payment', 'unlock', 'refund', 'dispute', 'dispute_won', 'subscriber_started', 'subscriber_ended',
      'application_fee', 'application_fee_refund', 'transfer', 'transfer_reversal', 'message_unlock', 'tip'`;

/**
 * Referral rewards (issue 27, docs/billing.md#referral-rewards):
 * - billing's `referral_shares`: one row per referred creator's payment that earns its referrer a share (unique on the
 *   payment's ledger object, so a replay books nothing twice), with the Stripe transfer that paid it (null: pending,
 *   the referrer cannot receive transfers yet) and what refunds and lost disputes reversed. No foreign keys, as the other
 *   payment records: a row outlives an erased account.
 * - the ledger kinds `referral_share` and `referral_share_reversal`, and `earnings_months.referral_cents`;
 * - referrals' `rewards_from` (the referred creator's first payment: the 12-month window starts there) and
 *   `earned_cents` (what the referrer earned from this referral, net of reversals).
 */
export class Migration20261209200000_referral_rewards extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "referral_shares" (
      "id" uuid not null,
      "payment_kind" varchar(30) not null,
      "payment_object_id" varchar(255) not null,
      "referrer_id" uuid not null,
      "referred_id" uuid not null,
      "stripe_charge_id" varchar(255) null,
      "stripe_payment_intent_id" varchar(255) null,
      "currency" varchar(3) not null,
      "payment_gross_cents" int not null,
      "amount_cents" int not null,
      "reversed_cents" int not null default 0,
      "stripe_transfer_id" varchar(255) null,
      "transferred_cents" int not null default 0,
      "occurred_at" timestamptz not null,
      "created_at" timestamptz not null default now(),
      constraint "referral_shares_pkey" primary key ("id"),
      constraint "referral_shares_payment_object_id_unique" unique ("payment_object_id")
    );`);
    this.addSql(
      `create index "referral_shares_pending_idx" on "referral_shares" ("referrer_id", "id") where "stripe_transfer_id" is null;`,
    );
    this.addSql(
      `create index "referral_shares_charge_idx" on "referral_shares" ("stripe_charge_id") where "stripe_charge_id" is not null;`,
    );
    this.addSql(
      `create index "referral_shares_payment_intent_idx" on "referral_shares" ("stripe_payment_intent_id") where "stripe_payment_intent_id" is not null;`,
    );
    this.addSql('alter table "earnings_entries" drop constraint "earnings_entries_kind_check";');
    this.addSql(`alter table "earnings_entries" add constraint "earnings_entries_kind_check" check ("kind" in (
      ${KINDS_BEFORE}, 'referral_share', 'referral_share_reversal'
    ));`);
    this.addSql('alter table "earnings_months" add column "referral_cents" bigint not null default 0;');
    this.addSql('alter table "referrals" add column "rewards_from" timestamptz null, add column "earned_cents" int not null default 0;');
  }

  override async down(): Promise<void> {
    this.addSql('alter table "referrals" drop column "rewards_from", drop column "earned_cents";');
    this.addSql('alter table "earnings_months" drop column "referral_cents";');
    this.addSql('alter table "earnings_entries" drop constraint "earnings_entries_kind_check";');
    this.addSql(`alter table "earnings_entries" add constraint "earnings_entries_kind_check" check ("kind" in (
      ${KINDS_BEFORE}
    ));`);
    this.addSql('drop table if exists "referral_shares";');
  }
}
