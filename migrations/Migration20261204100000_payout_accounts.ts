import { Migration } from '@mikro-orm/migrations';

/**
 * Stripe Connect (docs/payouts.md): `payout_accounts`, a creator's Stripe Express account and the flags Stripe's
 * `account.updated` last gave it. At most one live (not deauthorized) account per user: a partial unique index;
 * `GET /me/payouts` reads the newest by `(user_id, created_at)`. A new, empty table: no lock on existing ones.
 */
export class Migration20261204100000_payout_accounts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "payout_accounts" (
      "id" uuid not null,
      "user_id" uuid not null,
      "stripe_account_id" varchar(255) not null,
      "charges_enabled" boolean not null default false,
      "payouts_enabled" boolean not null default false,
      "details_submitted" boolean not null default false,
      "requirements_due" jsonb not null,
      "stripe_state_at" timestamptz null,
      "deauthorized_at" timestamptz null,
      "created_at" timestamptz not null default now(),
      "updated_at" timestamptz not null default now(),
      constraint "payout_accounts_pkey" primary key ("id"),
      constraint "payout_accounts_stripe_account_id_unique" unique ("stripe_account_id")
    );`);
    this.addSql(
      `alter table "payout_accounts" add constraint "payout_accounts_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete no action;`,
    );
    this.addSql('create unique index "payout_accounts_user_live_unique" on "payout_accounts" ("user_id") where "deauthorized_at" is null;');
    this.addSql('create index "payout_accounts_user_created_idx" on "payout_accounts" ("user_id", "created_at");');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "payout_accounts" cascade;');
  }
}
