import { Migration } from '@mikro-orm/migrations';

/**
 * Lists (issue 26): an owner's private lists of accounts, used as list timelines and as mass-message segments.
 * `members_count` is kept under the list's row lock by every membership change, so the 5,000-member limit holds under
 * concurrency without counting. Indexes, one per query (docs/lists.md): the owner's lists page
 * (`lists_owner_created_idx`), the list timeline's semi-join and the segment's keyset batches (the primary key
 * `(list_id, member_id)`), the members page (`list_members_list_created_idx`), and an account's memberships when it is
 * deleted (`list_members_member_id_index`).
 */
export class Migration20261208080000_lists extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "lists" (
      "id" uuid not null,
      "owner_id" uuid not null,
      "name" varchar(50) not null,
      "members_count" int not null default 0,
      "created_at" timestamptz not null default now(),
      "updated_at" timestamptz not null default now(),
      constraint "lists_pkey" primary key ("id"),
      constraint "lists_members_count_check" check ("members_count" >= 0 and "members_count" <= 5000)
    );`);
    this.addSql('create index "lists_owner_created_idx" on "lists" ("owner_id", "created_at" desc, "id" desc);');
    this.addSql(
      'alter table "lists" add constraint "lists_owner_id_foreign" foreign key ("owner_id") references "users" ("id") on update cascade on delete cascade;',
    );
    this.addSql(`create table "list_members" (
      "list_id" uuid not null,
      "member_id" uuid not null,
      "created_at" timestamptz not null default now(),
      constraint "list_members_pkey" primary key ("list_id", "member_id")
    );`);
    this.addSql('create index "list_members_list_created_idx" on "list_members" ("list_id", "created_at" desc, "member_id" desc);');
    this.addSql('create index "list_members_member_id_index" on "list_members" ("member_id");');
    this.addSql(
      'alter table "list_members" add constraint "list_members_list_id_foreign" foreign key ("list_id") references "lists" ("id") on update cascade on delete cascade;',
    );
    this.addSql(
      'alter table "list_members" add constraint "list_members_member_id_foreign" foreign key ("member_id") references "users" ("id") on update cascade on delete cascade;',
    );
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists "list_members" cascade;');
    this.addSql('drop table if exists "lists" cascade;');
  }
}
