import { Migration } from '@mikro-orm/migrations';

/**
 * Trust and safety: reports and their moderation queue, the admin audit log, moderator removal of posts, the
 * `report_resolved` notification (sent by nobody: `from_user_id` null, as the original design allowed), hashes of
 * rotated refresh secrets (reuse detection without letting a wrong secret revoke), and disputed unlocks.
 */
export class Migration20261203060000_trust_and_safety extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "reports" (
      "id" uuid not null,
      "reporter_id" uuid not null,
      "target_user_id" uuid not null,
      "target_post_id" uuid null,
      "reason" varchar(30) not null,
      "comment" varchar(1000) null,
      "status" varchar(20) not null default 'open',
      "resolution" varchar(30) null,
      "resolution_note" varchar(1000) null,
      "resolved_by_id" uuid null,
      "resolved_with_id" uuid null,
      "created_at" timestamptz not null default now(),
      "resolved_at" timestamptz null,
      constraint "reports_pkey" primary key ("id"),
      constraint "reports_reason_check" check ("reason" in ('spam', 'abuse', 'illegal', 'sexual_content', 'impersonation', 'other')),
      constraint "reports_status_check" check ("status" in ('open', 'resolved')),
      constraint "reports_resolution_check" check ("resolution" in ('dismiss', 'remove_post', 'suspend_user'))
    );`);
    this.addSql(
      `create unique index "reports_open_unique" on "reports" ("reporter_id", "target_user_id", "target_post_id") nulls not distinct where "status" = 'open';`,
    );
    this.addSql(`create index "reports_status_created_idx" on "reports" ("status", "created_at" desc, "id" desc);`);
    this.addSql(`create index "reports_open_target_idx" on "reports" ("target_user_id", "target_post_id", "created_at", "id") where "status" = 'open';`);
    this.addSql(`create index "reports_resolved_with_idx" on "reports" ("resolved_with_id");`);
    for (const [column, rule] of [
      ['reporter_id', 'cascade'],
      ['target_user_id', 'cascade'],
      ['target_post_id', 'cascade'],
      ['resolved_by_id', 'set null'],
    ]) {
      const target = column === 'target_post_id' ? 'posts' : 'users';
      this.addSql(
        `alter table "reports" add constraint "reports_${column}_foreign" foreign key ("${column}") references "${target}" ("id") on update cascade on delete ${rule};`,
      );
    }

    this.addSql(`create table "audit_log" (
      "id" uuid not null,
      "actor_id" uuid null,
      "action" varchar(30) not null,
      "target_user_id" uuid null,
      "target_post_id" uuid null,
      "note" varchar(1000) null,
      "created_at" timestamptz not null default now(),
      constraint "audit_log_pkey" primary key ("id"),
      constraint "audit_log_action_check" check ("action" in ('user.verify', 'user.suspend', 'user.unsuspend', 'user.role', 'report.resolve', 'post.remove'))
    );`);
    this.addSql(`create index "audit_log_created_idx" on "audit_log" ("created_at" desc, "id" desc);`);
    for (const column of ['actor_id', 'target_user_id', 'target_post_id']) {
      const target = column === 'target_post_id' ? 'posts' : 'users';
      this.addSql(
        `alter table "audit_log" add constraint "audit_log_${column}_foreign" foreign key ("${column}") references "${target}" ("id") on update cascade on delete set null;`,
      );
    }

    this.addSql(`alter table "posts" add column "removed_at" timestamptz null;`);

    this.addSql(`alter table "notifications" alter column "from_user_id" drop not null;`);
    this.addSql(`alter table "notifications" drop constraint "notifications_type_check";`);
    this.addSql(`alter table "notifications" add constraint "notifications_type_check" check ("type" in (
      'follow', 'like', 'reply', 'mention', 'repost', 'subscription', 'post_unlocked', 'subscribed_post', 'report_resolved'
    ));`);

    this.addSql(`alter table "sessions" add column "rotated_token_hashes" text[] not null default '{}';`);

    this.addSql(`alter table "post_unlocks" drop constraint "post_unlocks_status_check";`);
    this.addSql(`alter table "post_unlocks" add constraint "post_unlocks_status_check" check ("status" in ('paid', 'refunded', 'disputed'));`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "post_unlocks" drop constraint "post_unlocks_status_check";`);
    this.addSql(`alter table "post_unlocks" add constraint "post_unlocks_status_check" check ("status" in ('paid', 'refunded'));`);
    this.addSql(`alter table "sessions" drop column "rotated_token_hashes";`);
    this.addSql(`delete from "notifications" where "type" = 'report_resolved';`);
    this.addSql(`alter table "notifications" drop constraint "notifications_type_check";`);
    this.addSql(`alter table "notifications" add constraint "notifications_type_check" check ("type" in (
      'follow', 'like', 'reply', 'mention', 'repost', 'subscription', 'post_unlocked', 'subscribed_post'
    ));`);
    this.addSql(`alter table "notifications" alter column "from_user_id" set not null;`);
    this.addSql(`alter table "posts" drop column "removed_at";`);
    this.addSql(`drop table if exists "audit_log" cascade;`);
    this.addSql(`drop table if exists "reports" cascade;`);
  }
}
