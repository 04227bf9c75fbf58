import { Migration } from '@mikro-orm/migrations';

/**
 * Reports on direct messages (`POST /reports { message_id }`, docs/inbox.md#the-rest-of-the-house): a report names the
 * message as well as its sender. One open report per reporter and target, the message now part of the target, so the
 * open-report unique index and the grouping index gain the column.
 */
export class Migration20261208071000_report_messages extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table "reports" add column "target_message_id" uuid null;');
    this.addSql(
      'alter table "reports" add constraint "reports_target_message_id_foreign" foreign key ("target_message_id") references "messages" ("id") on update cascade on delete cascade;',
    );
    this.addSql('drop index "reports_open_unique";');
    this.addSql(
      `create unique index "reports_open_unique" on "reports" ("reporter_id", "target_user_id", "target_post_id", "target_message_id") nulls not distinct where "status" = 'open';`,
    );
    this.addSql('drop index "reports_open_target_idx";');
    this.addSql(
      `create index "reports_open_target_idx" on "reports" ("target_user_id", "target_post_id", "target_message_id", "created_at", "id") where "status" = 'open';`,
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop index "reports_open_target_idx";');
    this.addSql(`create index "reports_open_target_idx" on "reports" ("target_user_id", "target_post_id", "created_at", "id") where "status" = 'open';`);
    this.addSql('drop index "reports_open_unique";');
    this.addSql(
      `create unique index "reports_open_unique" on "reports" ("reporter_id", "target_user_id", "target_post_id") nulls not distinct where "status" = 'open';`,
    );
    this.addSql('alter table "reports" drop constraint "reports_target_message_id_foreign", drop column "target_message_id";');
  }
}
