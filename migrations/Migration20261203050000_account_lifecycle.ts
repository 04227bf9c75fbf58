import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 14, the account lifecycle: verified email, deletion (a tombstone row keeps the username 30 days), mailed
 * tokens (hashes only), the erasure record the deletion worker resumes from, and data exports.
 */
export class Migration20261203050000_account_lifecycle extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "users" add column if not exists "email_verified" boolean not null default false;');
    this.addSql('alter table "users" add column if not exists "deleted_at" timestamptz null;');

    this.addSql(`create table if not exists "account_tokens" (
      "id" uuid not null,
      "user_id" uuid not null,
      "purpose" varchar(20) not null,
      "token_hash" varchar(64) not null,
      "email" varchar(255) null,
      "expires_at" timestamptz not null,
      "used_at" timestamptz null,
      "created_at" timestamptz not null default now(),
      constraint "account_tokens_pkey" primary key ("id"),
      constraint "account_tokens_purpose_check" check ("purpose" in ('verify_email', 'change_email', 'reset_password'))
    );`);
    this.addSql('alter table "account_tokens" add constraint "account_tokens_token_hash_unique" unique ("token_hash");');
    this.addSql(
      'alter table "account_tokens" add constraint "account_tokens_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;',
    );
    this.addSql('create index "account_tokens_user_purpose_idx" on "account_tokens" ("user_id", "purpose") where "used_at" is null;');

    this.addSql(`create table if not exists "account_deletions" (
      "user_id" uuid not null,
      "requested_at" timestamptz not null default now(),
      "stripe_done_at" timestamptz null,
      "erased_at" timestamptz null,
      constraint "account_deletions_pkey" primary key ("user_id")
    );`);
    this.addSql('create index "account_deletions_pending_idx" on "account_deletions" ("requested_at") where "erased_at" is null;');

    this.addSql(`create table if not exists "account_exports" (
      "id" uuid not null,
      "user_id" uuid not null,
      "status" varchar(10) not null default 'pending',
      "storage_key" varchar(255) null,
      "created_at" timestamptz not null default now(),
      "finished_at" timestamptz null,
      constraint "account_exports_pkey" primary key ("id"),
      constraint "account_exports_status_check" check ("status" in ('pending', 'ready', 'failed'))
    );`);
    this.addSql(
      'alter table "account_exports" add constraint "account_exports_user_id_foreign" foreign key ("user_id") references "users" ("id") on update cascade on delete cascade;',
    );
    this.addSql('create index "account_exports_user_created_idx" on "account_exports" ("user_id", "created_at" desc);');
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "account_exports";');
    this.addSql('drop table if exists "account_deletions";');
    this.addSql('drop table if exists "account_tokens";');
    this.addSql('alter table "users" drop column if exists "deleted_at";');
    this.addSql('alter table "users" drop column if exists "email_verified";');
  }
}
