import { Migration } from '@mikro-orm/migrations';

/**
 * `uuid_generate_v7()` for rows created in bulk by SQL (notification fan-out), so they get the same
 * time-ordered UUID v7 ids as rows created by the application. Built on the core `gen_random_uuid()`: no extension.
 */
export class Migration20261125150000_uuid_v7_function extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
create or replace function uuid_generate_v7() returns uuid as $$
declare
  bytes bytea;
begin
  bytes := substring(int8send(floor(extract(epoch from clock_timestamp()) * 1000)::bigint) from 3)
        || substring(uuid_send(gen_random_uuid()) from 7);
  bytes := set_byte(bytes, 6, (b'0111' || get_byte(bytes, 6)::bit(4))::bit(8)::int);
  bytes := set_byte(bytes, 8, (b'10' || get_byte(bytes, 8)::bit(6))::bit(8)::int);
  return encode(bytes, 'hex')::uuid;
end
$$ language plpgsql volatile;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop function if exists uuid_generate_v7();');
  }
}
