import { Migration } from '@mikro-orm/migrations';

/**
 * Mass messages (issue 26, docs/inbox.md#mass-messages): `mass_messages`, one row per mass message with its audience,
 * its status, its fan-out's lanes (`lanes`: recipients are split by a hash of their id) with each lane's resume point
 * (`resume_after[lane]`, the last recipient id of its last committed batch) and whether it is done, and its counters; the unique `(mass_message_id, recipient_id)` index on `messages` that makes a replayed batch insert no copy
 * twice; and `(following_id, follower_id)` on `follows`, so the `followers` segment is read in recipient id order.
 */
export class Migration20261209050000_mass_messages extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "mass_messages" (
      "id" uuid not null,
      "sender_id" uuid not null,
      "content" text null,
      "content_html" text null,
      "price_cents" int null,
      "currency" varchar(3) not null default 'usd',
      "preview" varchar(280) null,
      "audience" jsonb not null,
      "status" varchar(20) not null,
      "scheduled_at" timestamptz null,
      "lanes" smallint not null default 0,
      "resume_after" uuid[] not null default '{}',
      "lanes_done" boolean[] not null default '{}',
      "recipients_count" int not null default 0,
      "sent_count" int not null default 0,
      "created_at" timestamptz not null default now(),
      "finished_at" timestamptz null,
      constraint "mass_messages_pkey" primary key ("id"),
      constraint "mass_messages_price_check" check ("price_cents" >= 100 and "price_cents" <= 100000),
      constraint "mass_messages_status_check" check ("status" in ('scheduled', 'sending', 'sent', 'canceled')));`);
    this.addSql('create index "mass_messages_sender_idx" on "mass_messages" ("sender_id", "created_at" desc, "id" desc);');
    this.addSql(`create index "mass_messages_due_idx" on "mass_messages" ("scheduled_at") where "status" = 'scheduled';`);
    this.addSql(
      'alter table "mass_messages" add constraint "mass_messages_sender_id_foreign" foreign key ("sender_id") references "users" ("id") on update cascade on delete cascade;',
    );
    this.addSql('create unique index "messages_mass_recipient_unique" on "messages" ("mass_message_id", "recipient_id") where "mass_message_id" is not null;');
    this.addSql('create index "follows_following_follower_idx" on "follows" ("following_id", "follower_id");');
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists "follows_following_follower_idx";');
    this.addSql('drop index if exists "messages_mass_recipient_unique";');
    this.addSql('drop table if exists "mass_messages" cascade;');
  }
}
