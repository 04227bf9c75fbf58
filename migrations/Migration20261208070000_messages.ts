import { Migration } from '@mikro-orm/migrations';

/**
 * One-to-one conversations and their messages (docs/inbox.md):
 * - `conversations`: one row per pair of accounts (`user_low_id` < `user_high_id`, unique), whatever its state.
 * - `conversation_members`: each side's own state (request or active, hidden, unread count, read position, the time of
 *   its latest activity), so each list is one index scan: `conversation_members_list_idx`.
 * - `messages`: one row per delivered copy (a mass message, later, writes one per recipient and keeps its id in
 *   `mass_message_id`): read state, unlock and unsend are each copy's own. `recipient_id` is kept on the row so that a
 *   future `message_unlocks` row (message, buyer) and the access policy need no join.
 * - `media.message_id`: a message's attachments, as `post_id` is a post's.
 * - `users.dm_policy`: who may write to the account.
 */
const FOREIGN_KEYS = [
  ['conversations', 'user_low_id', 'users'],
  ['conversations', 'user_high_id', 'users'],
  ['messages', 'conversation_id', 'conversations'],
  ['messages', 'sender_id', 'users'],
  ['messages', 'recipient_id', 'users'],
  ['conversation_members', 'conversation_id', 'conversations'],
  ['conversation_members', 'user_id', 'users'],
  ['conversation_members', 'other_user_id', 'users'],
] as const;

export class Migration20261208070000_messages extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "users" add column "dm_policy" varchar(20) not null default 'everyone',
      add constraint "users_dm_policy_check" check ("dm_policy" in ('everyone', 'following', 'subscribers', 'nobody'));`);
    this.addSql(`create table "conversations" (
      "id" uuid not null,
      "user_low_id" uuid not null,
      "user_high_id" uuid not null,
      "created_at" timestamptz not null default now(),
      constraint "conversations_pkey" primary key ("id"),
      constraint "conversations_pair_unique" unique ("user_low_id", "user_high_id"),
      constraint "conversations_pair_order_check" check ("user_low_id" < "user_high_id"));`);
    this.addSql('create index "conversations_user_high_idx" on "conversations" ("user_high_id");');

    this.addSql(`create table "messages" (
      "id" uuid not null,
      "conversation_id" uuid not null,
      "sender_id" uuid not null,
      "recipient_id" uuid not null,
      "content" text null,
      "content_html" text null,
      "price_cents" int null,
      "currency" varchar(3) not null default 'usd',
      "preview" varchar(280) null,
      "tip_cents" int null,
      "mass_message_id" uuid null,
      "created_at" timestamptz not null default now(),
      "deleted_at" timestamptz null,
      constraint "messages_pkey" primary key ("id"),
      constraint "messages_price_check" check ("price_cents" >= 100 and "price_cents" <= 100000));`);
    this.addSql('create index "messages_conversation_idx" on "messages" ("conversation_id", "created_at" desc, "id" desc);');
    this.addSql('create index "messages_sender_idx" on "messages" ("sender_id");');
    this.addSql('create index "messages_recipient_idx" on "messages" ("recipient_id");');
    this.addSql(`create table "conversation_members" (
      "conversation_id" uuid not null,
      "user_id" uuid not null,
      "other_user_id" uuid not null,
      "status" varchar(20) not null default 'active',
      "unread_count" int not null default 0,
      "last_read_at" timestamptz null,
      "last_message_id" uuid null,
      "last_activity_at" timestamptz null,
      "hidden_at" timestamptz null,
      "created_at" timestamptz not null default now(),
      constraint "conversation_members_pkey" primary key ("conversation_id", "user_id"),
      constraint "conversation_members_status_check" check ("status" in ('active', 'request')),
      constraint "conversation_members_unread_check" check ("unread_count" >= 0));`);
    this.addSql(`create index "conversation_members_list_idx" on "conversation_members" ("user_id", "status", "last_activity_at" desc, "conversation_id" desc)
      where "hidden_at" is null and "last_activity_at" is not null;`);
    this.addSql('create index "conversation_members_other_idx" on "conversation_members" ("other_user_id");');
    // Named and ruled as MikroORM declares them (the schema test compares the entities with the database).
    for (const [table, column, target] of FOREIGN_KEYS) {
      this.addSql(`alter table "${table}" add constraint "${table}_${column}_foreign" foreign key ("${column}") references "${target}" ("id") on update cascade on delete cascade;`);
    }
    // No foreign key: media sits below messages (docs/module-boundaries.md); a message's media is erased with it by the
    // messages module's own statements.
    this.addSql('alter table "media" add column "message_id" uuid null;');
    this.addSql('create index "media_message_idx" on "media" ("message_id") where "message_id" is not null;');
  }

  override async down(): Promise<void> {
    this.addSql('alter table "media" drop column if exists "message_id";');
    this.addSql('drop table if exists "conversation_members";');
    this.addSql('drop table if exists "messages";');
    this.addSql('drop table if exists "conversations";');
    this.addSql('alter table "users" drop constraint if exists "users_dm_policy_check", drop column if exists "dm_policy";');
  }
}
