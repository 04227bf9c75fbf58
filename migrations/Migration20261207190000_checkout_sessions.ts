import { Migration } from '@mikro-orm/migrations';

/**
 * `checkout_sessions` (billing's, issue 23 N9/N10): the Stripe Checkout sessions the service opened and what each
 * asked (buyer, target, amount, connected account). A completion is applied only for a session found here at the
 * amount asked; a deauthorized account's open sessions are found by the partial index and expired. A new, empty table:
 * no lock on existing ones. Sessions opened before it (at most 24 h old) are believed on Stripe's own copy instead
 * (`CheckoutSessions.completion`).
 */
export class Migration20261207190000_checkout_sessions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "checkout_sessions" (
      "id" varchar(255) not null,
      "mode" varchar(20) not null,
      "buyer_id" uuid not null,
      "creator_id" uuid not null,
      "post_id" uuid null,
      "amount_cents" int not null,
      "currency" varchar(3) not null,
      "destination" varchar(255) null,
      "status" varchar(10) not null default 'open',
      "expires_at" timestamptz not null,
      "created_at" timestamptz not null default now(),
      constraint "checkout_sessions_pkey" primary key ("id")
    );`);
    this.addSql(`alter table "checkout_sessions" add constraint "checkout_sessions_mode_check" check ("mode" in ('subscription', 'payment'));`);
    this.addSql(`alter table "checkout_sessions" add constraint "checkout_sessions_status_check" check ("status" in ('open', 'complete', 'expired'));`);
    this.addSql(
      `create index "checkout_sessions_open_destination_idx" on "checkout_sessions" ("destination") where "status" = 'open' and "destination" is not null;`,
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "checkout_sessions" cascade;');
  }
}
