import { Migration } from '@mikro-orm/migrations';

/**
 * Indexes on the users' avatar and cover media. Deleting media (the hourly clean-up) makes PostgreSQL null these
 * foreign keys (`on delete set null`), which scans the whole users table per deleted row without them.
 */
export class Migration20261201000000_media_profile_indexes extends Migration {
  override async up(): Promise<void> {
    this.addSql('create index if not exists "users_avatar_media_idx" on "users" ("avatar_media_id");');
    this.addSql('create index if not exists "users_cover_media_idx" on "users" ("cover_media_id");');
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists "users_avatar_media_idx";');
    this.addSql('drop index if exists "users_cover_media_idx";');
  }
}
