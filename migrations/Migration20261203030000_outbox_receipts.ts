import { Migration } from '@mikro-orm/migrations';

/**
 * Receipts: an outbox event is done when every subscriber committed its effect (one `outbox_receipts` row each,
 * written in the handler's transaction), not when Redis took its job. `handled_at` marks events with every receipt;
 * the relay re-sends the others (`outbox_unhandled_idx`).
 *
 * Events the old relay already handed to BullMQ stay with that pipeline: they are marked handled. Stripe events that
 * are not applied yet get the outbox event that now carries them (the sweep of `stripe_events` is gone), and events
 * of the retired `post.created` type, which nothing handled, are dropped.
 */
export class Migration20261203030000_outbox_receipts extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "outbox_events" add column "handled_at" timestamptz null;');
    this.addSql('create index "outbox_unhandled_idx" on "outbox_events" ("dispatched_at") where "handled_at" is null;');
    this.addSql(`create table "outbox_receipts" (
      "event_id" uuid not null,
      "subscriber" varchar(100) not null,
      "handled_at" timestamptz not null default now(),
      constraint "outbox_receipts_pkey" primary key ("event_id", "subscriber")
    );`);
    this.addSql(
      'alter table "outbox_receipts" add constraint "outbox_receipts_event_id_foreign" foreign key ("event_id") references "outbox_events" ("id") on delete cascade;',
    );
    this.addSql(`delete from "outbox_events" where "type" = 'post.created';`);
    this.addSql('update "outbox_events" set "handled_at" = "dispatched_at" where "dispatched_at" is not null;');
    this.addSql(`insert into "outbox_events" ("id", "type", "payload", "created_at", "attempts")
      select uuid_generate_v7(), 'stripe.event_received', jsonb_build_object('stripeEventId', "stripe_event_id"), now(), 0
        from "stripe_events" where "processed_at" is null order by "received_at";`);
  }

  override async down(): Promise<void> {
    this.addSql(`delete from "outbox_events" where "type" = 'stripe.event_received';`);
    this.addSql('drop table if exists "outbox_receipts";');
    this.addSql('drop index if exists "outbox_unhandled_idx";');
    this.addSql('alter table "outbox_events" drop column if exists "handled_at";');
  }
}
