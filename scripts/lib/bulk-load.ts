import { Client } from 'pg';

interface SavedIndex {
  name: string;
  def: string;
}

interface SavedConstraint {
  table: string;
  name: string;
  type: 'u' | 'f';
  def: string;
}

export interface SavedSchema {
  indexes: SavedIndex[];
  constraints: SavedConstraint[];
}

/**
 * Bulk loads are much faster into bare tables: this saves, then drops, the secondary indexes, unique constraints and
 * foreign keys of `tables` (primary keys stay). Run it inside the load's transaction: the drops, the COPYs and the
 * re-creation commit together, or not at all, so an interrupted seed never leaves the schema without its indexes.
 */
export async function dropForLoad(client: Client, tables: string[]): Promise<SavedSchema> {
  const { rows: indexes } = await client.query<SavedIndex>(
    `select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def
       from pg_index i
      where i.indrelid = any($1::regclass[]) and not i.indisprimary
        and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid and c.contype in ('p', 'u', 'x'))
      order by 1`,
    [tables],
  );
  const { rows: constraints } = await client.query<SavedConstraint>(
    `select c.conrelid::regclass::text as table, quote_ident(c.conname) as name, c.contype as type, pg_get_constraintdef(c.oid) as def
       from pg_constraint c
      where c.conrelid = any($1::regclass[]) and c.contype in ('u', 'f')
      order by c.contype, 2`,
    [tables],
  );
  for (const c of [...constraints].sort((a, b) => (a.type === b.type ? 0 : a.type === 'f' ? -1 : 1))) {
    await client.query(`alter table ${c.table} drop constraint ${c.name}`);
  }
  for (const i of indexes) await client.query(`drop index ${i.name}`);
  return { indexes, constraints };
}

/** Re-creates what `dropForLoad` dropped: indexes, then unique constraints, then foreign keys (validated in bulk). */
export async function restoreAfterLoad(client: Client, saved: SavedSchema, onEach?: (label: string) => void): Promise<void> {
  for (const i of saved.indexes) {
    await client.query(i.def);
    onEach?.(i.name);
  }
  for (const type of ['u', 'f'] as const) {
    for (const c of saved.constraints.filter((x) => x.type === type)) {
      await client.query(`alter table ${c.table} add constraint ${c.name} ${c.def}`);
      onEach?.(c.name);
    }
  }
}

/**
 * Counters from the rows, in bulk: users' followers/following/posts, posts' likes/replies/reposts (live rows only, as
 * the service counts them). Only rows whose stored value differs are written; answers how many were.
 */
export async function reconcileCounters(client: Client): Promise<{ users: number; posts: number }> {
  const users = await client.query(`
    update users u set followers_count = c.followers, following_count = c.following, posts_count = c.posts
      from (select x.id, coalesce(fr.n, 0) as followers, coalesce(fg.n, 0) as following, coalesce(ps.n, 0) as posts
              from users x
              left join (select following_id as id, count(*)::int as n from follows group by 1) fr on fr.id = x.id
              left join (select follower_id as id, count(*)::int as n from follows group by 1) fg on fg.id = x.id
              left join (select user_id as id, count(*)::int as n from posts where deleted_at is null group by 1) ps on ps.id = x.id) c
     where u.id = c.id
       and (u.followers_count, u.following_count, u.posts_count) is distinct from (c.followers, c.following, c.posts)`);
  const posts = await client.query(`
    update posts p set likes_count = c.likes, replies_count = c.replies, retweets_count = c.reposts
      from (select x.id, coalesce(l.n, 0) as likes, coalesce(r.n, 0) as replies, coalesce(t.n, 0) as reposts
              from posts x
              left join (select post_id as id, count(*)::int as n from likes group by 1) l on l.id = x.id
              left join (select reply_to_id as id, count(*)::int as n from posts
                          where reply_to_id is not null and deleted_at is null group by 1) r on r.id = x.id
              left join (select repost_of_id as id, count(*)::int as n from posts
                          where repost_of_id is not null and deleted_at is null group by 1) t on t.id = x.id) c
     where p.id = c.id
       and (p.likes_count, p.replies_count, p.retweets_count) is distinct from (c.likes, c.replies, c.reposts)`);
  return { users: users.rowCount ?? 0, posts: posts.rowCount ?? 0 };
}

/** Every table of the schema but the migrations' own: what `--reset` empties. */
export async function truncateAll(client: Client): Promise<void> {
  const { rows } = await client.query<{ name: string }>(
    `select quote_ident(tablename) as name from pg_tables where schemaname = current_schema() and tablename <> 'mikro_orm_migrations'`,
  );
  if (rows.length) await client.query(`truncate table ${rows.map((r) => r.name).join(', ')} restart identity cascade`);
}
