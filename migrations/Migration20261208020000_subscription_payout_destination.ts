import { Migration } from '@mikro-orm/migrations';

/**
 * `subscriptions.payout_destination`: where the Stripe subscription's invoices pay out, as last read from Stripe or
 * set by the service (docs/payouts.md#when-a-creator-disconnects): a connected account id (`acct_…`, its
 * `transfer_data.destination`), `platform` (no `transfer_data`: the platform collects), or null (not read since this
 * column exists). The routing job compares it with where the creator's money should go now, so a retried or killed
 * job resumes where it stopped and updates nothing twice.
 */
export class Migration20261208020000_subscription_payout_destination extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "subscriptions" add column "payout_destination" varchar(255) null;');
  }

  override async down(): Promise<void> {
    this.addSql('alter table "subscriptions" drop column "payout_destination";');
  }
}
