import { Migration } from '@mikro-orm/migrations';

/**
 * The ledger records every money movement Stripe reports (docs/billing.md#earnings), not only payments:
 * - `amount_cents`: the amount of the Stripe object the entry stands for, signed as it moves the creator's money
 *   (payments and reinstated disputes positive; refunds and withdrawn disputes negative; a transfer to the creator
 *   positive, its reversal negative; an application fee positive, its refund negative). Reconciliation compares it
 *   with Stripe's amount. Existing entries stand for what they grossed, so they are backfilled with `gross_cents`.
 * - new kinds `application_fee`, `application_fee_refund`, `transfer`, `transfer_reversal`: movements between the
 *   platform and the creator's account. Their gross, fee and net are zero: the payment they belong to counts already in
 *   the monthly sums.
 * - `earnings_entries_occurred_idx`: the reconciliation window scans entries by time, across creators.
 */
export class Migration20261208000000_ledger_movements extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "earnings_entries" add column "amount_cents" int null;');
    this.addSql('alter table "earnings_entries" disable trigger "earnings_entries_immutable";');
    this.addSql('update "earnings_entries" set "amount_cents" = "gross_cents";');
    this.addSql('alter table "earnings_entries" enable trigger "earnings_entries_immutable";');
    this.addSql('alter table "earnings_entries" alter column "amount_cents" set not null;');
    this.addSql('alter table "earnings_entries" drop constraint "earnings_entries_kind_check";');
    this.addSql(`alter table "earnings_entries" add constraint "earnings_entries_kind_check" check ("kind" in (
      'subscription_payment', 'unlock', 'refund', 'dispute', 'dispute_won', 'subscriber_started', 'subscriber_ended',
      'application_fee', 'application_fee_refund', 'transfer', 'transfer_reversal'
    ));`);
    this.addSql('create index "earnings_entries_occurred_idx" on "earnings_entries" ("occurred_at");');
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists "earnings_entries_occurred_idx";');
    this.addSql('alter table "earnings_entries" drop constraint "earnings_entries_kind_check";');
    this.addSql(`alter table "earnings_entries" add constraint "earnings_entries_kind_check" check ("kind" in (
      'subscription_payment', 'unlock', 'refund', 'dispute', 'dispute_won', 'subscriber_started', 'subscriber_ended'
    ));`);
    this.addSql('alter table "earnings_entries" drop column "amount_cents";');
  }
}
