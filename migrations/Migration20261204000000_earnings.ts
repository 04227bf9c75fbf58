import { Migration } from '@mikro-orm/migrations';

/**
 * Creator earnings (docs/billing.md#earnings):
 * - `earnings_entries`: the immutable ledger the Stripe webhook worker writes, one row per money movement (and per
 *   subscriber start or end), unique on (kind, Stripe object). A trigger refuses updates and deletes: a correction is a
 *   new row. Foreign keys to `users` take no action on delete, as billing's other financial records.
 * - `earnings_months`: per creator, currency and UTC month, the sums of the ledger, kept in each entry's transaction.
 * - `subscription_revenue`: per creator and currency, the count and monthly prices of `active`/`trialing`
 *   subscriptions (the statuses `subscriber-access.ts` grants access without a clock), kept by statement triggers on
 *   `subscriptions` and backfilled here. MRR reads it instead of scanning a big creator's subscriptions.
 */
export class Migration20261204000000_earnings extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "earnings_entries" (
      "id" uuid not null,
      "creator_id" uuid not null,
      "kind" varchar(30) not null,
      "gross_cents" int not null,
      "fee_cents" int not null,
      "net_cents" int not null,
      "currency" varchar(3) not null,
      "counterparty_id" uuid null,
      "stripe_object_id" varchar(255) not null,
      "stripe_event_id" varchar(255) null,
      "stripe_invoice_id" varchar(255) null,
      "stripe_charge_id" varchar(255) null,
      "stripe_payment_intent_id" varchar(255) null,
      "stripe_checkout_session_id" varchar(255) null,
      "stripe_subscription_id" varchar(255) null,
      "occurred_at" timestamptz not null,
      "recorded_at" timestamptz not null default now(),
      constraint "earnings_entries_pkey" primary key ("id"),
      constraint "earnings_entries_kind_stripe_object_id_unique" unique ("kind", "stripe_object_id"),
      constraint "earnings_entries_kind_check" check ("kind" in (
        'subscription_payment', 'unlock', 'refund', 'dispute', 'dispute_won', 'subscriber_started', 'subscriber_ended'
      ))
    );`);
    this.addSql('create index "earnings_entries_creator_occurred_idx" on "earnings_entries" ("creator_id", "occurred_at");');
    this.addSql(
      'create index "earnings_entries_payment_intent_idx" on "earnings_entries" ("stripe_payment_intent_id") where "stripe_payment_intent_id" is not null;',
    );
    this.addSql('create index "earnings_entries_charge_idx" on "earnings_entries" ("stripe_charge_id") where "stripe_charge_id" is not null;');
    this.addSql(
      `alter table "earnings_entries" add constraint "earnings_entries_creator_id_foreign" foreign key ("creator_id") references "users" ("id") on update cascade;`,
    );
    this.addSql(
      `alter table "earnings_entries" add constraint "earnings_entries_counterparty_id_foreign" foreign key ("counterparty_id") references "users" ("id") on update cascade;`,
    );
    this.addSql(`create or replace function earnings_entries_immutable() returns trigger language plpgsql as $$
      begin
        raise exception 'earnings_entries is append-only: % refused', tg_op using errcode = 'restrict_violation';
      end
    $$;`);
    this.addSql(
      'create trigger "earnings_entries_immutable" before update or delete on "earnings_entries" for each row execute function earnings_entries_immutable();',
    );

    this.addSql(`create table "earnings_months" (
      "creator_id" uuid not null,
      "currency" varchar(3) not null,
      "month" date not null,
      "gross_cents" bigint not null default 0,
      "fee_cents" bigint not null default 0,
      "net_cents" bigint not null default 0,
      "refunded_cents" bigint not null default 0,
      "unlocks" int not null default 0,
      "new_subscribers" int not null default 0,
      "churned_subscribers" int not null default 0,
      constraint "earnings_months_pkey" primary key ("creator_id", "currency", "month")
    );`);
    this.addSql(
      `alter table "earnings_months" add constraint "earnings_months_creator_id_foreign" foreign key ("creator_id") references "users" ("id") on update cascade;`,
    );

    this.addSql(`create table "subscription_revenue" (
      "creator_id" uuid not null,
      "currency" varchar(3) not null,
      "subscribers" int not null default 0,
      "monthly_cents" bigint not null default 0,
      constraint "subscription_revenue_pkey" primary key ("creator_id", "currency")
    );`);
    this.addSql(
      `alter table "subscription_revenue" add constraint "subscription_revenue_creator_id_foreign" foreign key ("creator_id") references "users" ("id") on update cascade;`,
    );
    // Statement-level, over the transition tables: one upsert per creator and statement, so a bulk insert of a
    // creator's 100,000 subscriptions updates its row once (a row trigger would rewrite it 100,000 times).
    const delta = (rows: string, sign: string) =>
      `select creator_id, currency, ${sign}count(*)::int as subscribers, ${sign}sum(price_cents)::int8 as monthly_cents
         from ${rows} where status in ('active', 'trialing') group by creator_id, currency`;
    const upsert = (deltas: string) => `insert into subscription_revenue as r (creator_id, currency, subscribers, monthly_cents)
        select creator_id, currency, sum(subscribers), sum(monthly_cents) from (${deltas}) d group by creator_id, currency
        having sum(subscribers) <> 0 or sum(monthly_cents) <> 0
        on conflict (creator_id, currency) do update
          set subscribers = r.subscribers + excluded.subscribers, monthly_cents = r.monthly_cents + excluded.monthly_cents;`;
    this.addSql(`create or replace function subscription_revenue_apply() returns trigger language plpgsql as $$
      begin
        if tg_op = 'INSERT' then
          ${upsert(delta('new_rows', ''))}
        elsif tg_op = 'DELETE' then
          ${upsert(delta('old_rows', '-'))}
        else
          ${upsert(`${delta('new_rows', '')} union all ${delta('old_rows', '-')}`)}
        end if;
        return null;
      end
    $$;`);
    this.addSql(
      'create trigger "subscriptions_revenue_insert" after insert on "subscriptions" referencing new table as new_rows for each statement execute function subscription_revenue_apply();',
    );
    this.addSql(
      'create trigger "subscriptions_revenue_update" after update on "subscriptions" referencing old table as old_rows new table as new_rows for each statement execute function subscription_revenue_apply();',
    );
    this.addSql(
      'create trigger "subscriptions_revenue_delete" after delete on "subscriptions" referencing old table as old_rows for each statement execute function subscription_revenue_apply();',
    );
    this.addSql(`insert into subscription_revenue (creator_id, currency, subscribers, monthly_cents)
      select creator_id, currency, count(*), sum(price_cents) from subscriptions where status in ('active', 'trialing') group by 1, 2;`);
  }

  override async down(): Promise<void> {
    for (const op of ['insert', 'update', 'delete']) this.addSql(`drop trigger if exists "subscriptions_revenue_${op}" on "subscriptions";`);
    this.addSql('drop function if exists subscription_revenue_apply();');
    this.addSql('drop table if exists "subscription_revenue";');
    this.addSql('drop table if exists "earnings_months";');
    this.addSql('drop table if exists "earnings_entries";');
    this.addSql('drop function if exists earnings_entries_immutable();');
  }
}
