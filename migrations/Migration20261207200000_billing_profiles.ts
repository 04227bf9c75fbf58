import { Migration } from '@mikro-orm/migrations';

/**
 * Billing's Stripe references leave `users` for billing's own `billing_profiles` (docs/module-boundaries.md: each
 * table has one owner). They were ours, not the original design's (DATA-MODEL.md has no Stripe column on `users`).
 * Rows are copied for the users that hold any reference; a stored price is taken as the price of the amount the user
 * has now (`stripe_price_cents`), which is what `users.stripe_price_id` meant: PATCH /me cleared it on a new amount.
 * One transaction: the copy and the drop are seen together. `stripe_product_id` gains the index the webhook's
 * product look-up lacked on `users`.
 */
export class Migration20261207200000_billing_profiles extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "billing_profiles" (
      "user_id" uuid not null,
      "stripe_customer_id" varchar(255) null,
      "stripe_product_id" varchar(255) null,
      "stripe_price_id" varchar(255) null,
      "stripe_price_cents" int null,
      "created_at" timestamptz not null default now(),
      "updated_at" timestamptz not null default now(),
      constraint "billing_profiles_pkey" primary key ("user_id")
    );`);
    this.addSql('alter table "billing_profiles" add constraint "billing_profiles_stripe_customer_id_unique" unique ("stripe_customer_id");');
    this.addSql('create index "billing_profiles_stripe_product_id_idx" on "billing_profiles" ("stripe_product_id");');
    this.addSql(
      'alter table "billing_profiles" add constraint "billing_profiles_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;',
    );
    this.addSql(`insert into "billing_profiles" ("user_id", "stripe_customer_id", "stripe_product_id", "stripe_price_id", "stripe_price_cents", "created_at", "updated_at")
      select "id", "stripe_customer_id", "stripe_product_id", "stripe_price_id",
             case when "stripe_price_id" is not null then "subscription_price_cents" end, now(), now()
        from "users"
       where "stripe_customer_id" is not null or "stripe_product_id" is not null or "stripe_price_id" is not null;`);
    this.addSql('alter table "users" drop constraint "users_stripe_customer_id_unique";');
    this.addSql('alter table "users" drop column "stripe_customer_id", drop column "stripe_product_id", drop column "stripe_price_id";');
  }

  override async down(): Promise<void> {
    this.addSql(
      'alter table "users" add column "stripe_customer_id" varchar(255) null, add column "stripe_product_id" varchar(255) null, add column "stripe_price_id" varchar(255) null;',
    );
    this.addSql('alter table "users" add constraint "users_stripe_customer_id_unique" unique ("stripe_customer_id");');
    // A price kept for an amount the user no longer has was never theirs to charge: it goes back as none.
    this.addSql(`update "users" u set "stripe_customer_id" = p."stripe_customer_id", "stripe_product_id" = p."stripe_product_id",
      "stripe_price_id" = case when p."stripe_price_cents" = u."subscription_price_cents" then p."stripe_price_id" end
      from "billing_profiles" p where p."user_id" = u."id";`);
    this.addSql('drop table if exists "billing_profiles" cascade;');
  }
}
