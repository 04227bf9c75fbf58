import { Migration } from '@mikro-orm/migrations';

/**
 * The welcome message (issue 26, docs/inbox.md#welcome-message): one per creator (`welcome_messages`), and the
 * once-per-subscription decision (`welcome_message_sends`, keyed by the subscription id) that makes the
 * `subscription.activated` handler idempotent.
 */
export class Migration20261208100000_welcome_messages extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "welcome_messages" (
      "creator_id" uuid not null,
      "content" text not null,
      "price_cents" int null,
      "preview" varchar(280) null,
      "enabled" boolean not null,
      "updated_at" timestamptz not null default now(),
      constraint "welcome_messages_pkey" primary key ("creator_id"),
      constraint "welcome_messages_price_check" check ("price_cents" >= 100 and "price_cents" <= 100000));`);
    this.addSql(
      'alter table "welcome_messages" add constraint "welcome_messages_creator_id_foreign" foreign key ("creator_id") references "users" ("id") on update cascade on delete cascade;',
    );
    this.addSql(`create table "welcome_message_sends" (
      "subscription_id" uuid not null,
      "recipient_id" uuid not null,
      "message_id" uuid null,
      "created_at" timestamptz not null default now(),
      constraint "welcome_message_sends_pkey" primary key ("subscription_id"));`);
    this.addSql('create index "welcome_message_sends_recipient_idx" on "welcome_message_sends" ("recipient_id");');
    this.addSql(
      'alter table "welcome_message_sends" add constraint "welcome_message_sends_recipient_id_foreign" foreign key ("recipient_id") references "users" ("id") on update cascade on delete cascade;',
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "welcome_message_sends" cascade;');
    this.addSql('drop table if exists "welcome_messages" cascade;');
  }
}
