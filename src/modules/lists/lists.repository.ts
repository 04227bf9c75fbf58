import { EntityManager, EntityRepository } from '@mikro-orm/postgresql';
import { executeOnReplica } from '@/common/database/read-replica';
import { column, SqlFragment, sql, value } from '@/common/database/sql-fragment';
import { Keyset } from '@/common/http/pagination';
import { notBlockedEitherWay } from '@/modules/social/social.predicates';
import { List } from './entities/list.entity';

export interface ListRow {
  id: string;
  owner_id: string;
  name: string;
  members_count: number;
  created_at: Date;
  updated_at: Date;
}

/** A username asked to be added, as found: an active account, and whether a block stands between it and the owner. */
export interface CandidateRow {
  id: string;
  username_lower: string;
  blocked: boolean;
}

/**
 * Advisory lock class of "an owner's lists" (`pg_advisory_xact_lock(class, hashtext(owner_id))`): creating a list
 * counts the owner's lists under it, so two concurrent creations cannot both pass the limit. The two-key form's lock
 * space does not overlap the one-key form's used elsewhere.
 */
const OWNER_LISTS_LOCK = 0x4c495354; // 'LIST'

const LIST_COLUMNS = 'id, owner_id, name, members_count, created_at, updated_at';

/** The lists' SQL: every query is one indexed statement (docs/lists.md lists them with their indexes). */
export class ListsRepository extends EntityRepository<List> {
  /** The owner's list, or none (another owner's list is answered like a missing one). */
  async findOwn(em: EntityManager, ownerId: string, listId: string, lock = false): Promise<ListRow | undefined> {
    const [row] = await em.execute<ListRow[]>(`select ${LIST_COLUMNS} from lists where id = ? and owner_id = ? ${lock ? 'for update' : ''}`, [listId, ownerId]);
    return row;
  }

  /** Serialises list creation per owner for the rest of the caller's transaction, and answers how many lists they have. */
  async lockOwnerAndCount(em: EntityManager, ownerId: string): Promise<number> {
    await em.execute('select pg_advisory_xact_lock(?, hashtext(?))', [OWNER_LISTS_LOCK, ownerId]);
    const [row] = await em.execute<{ n: number }[]>('select count(*)::int as n from lists where owner_id = ?', [ownerId]);
    return row.n;
  }

  async insertList(em: EntityManager, id: string, ownerId: string, name: string): Promise<ListRow> {
    // Cursors carry milliseconds (`encodeCursor`): a keyset column must not hold finer times than its cursor.
    const now = new Date();
    const [row] = await em.execute<ListRow[]>(
      `insert into lists (id, owner_id, name, members_count, created_at, updated_at) values (?, ?, ?, 0, ?, ?) returning ${LIST_COLUMNS}`,
      [id, ownerId, name, now, now],
    );
    return row;
  }

  async rename(em: EntityManager, ownerId: string, listId: string, name: string): Promise<ListRow | undefined> {
    const [row] = await em.execute<ListRow[]>(
      `update lists set name = ?, updated_at = now() where id = ? and owner_id = ? returning ${LIST_COLUMNS}`,
      [name, listId, ownerId],
    );
    return row;
  }

  /** Deletes the owner's list (its memberships go with it, `on delete cascade`); false when there was none. */
  async remove(em: EntityManager, ownerId: string, listId: string): Promise<boolean> {
    const rows = await em.execute<{ id: string }[]>('delete from lists where id = ? and owner_id = ? returning id', [listId, ownerId]);
    return rows.length > 0;
  }

  /** The owner's lists, newest first, over `lists_owner_created_idx`. */
  page(ownerId: string, cursor: Keyset | undefined, limit: number): Promise<ListRow[]> {
    return this.getEntityManager().execute<ListRow[]>(
      `select ${LIST_COLUMNS} from lists where owner_id = ? ${cursor ? 'and (created_at, id) < (?, ?)' : ''}
        order by created_at desc, id desc limit ?`,
      [ownerId, ...(cursor ? [cursor.at, cursor.id] : []), limit],
    );
  }

  /** Active accounts among lower-cased `usernames`, with whether a block stands between each and the owner. */
  candidates(em: EntityManager, ownerId: string, usernames: string[]): Promise<CandidateRow[]> {
    const unblocked = notBlockedEitherWay(value(ownerId), column('u.id'));
    return em.execute<CandidateRow[]>(
      `select u.id, lower(u.username) as username_lower, not ${unblocked.sql} as blocked
         from users u where lower(u.username) in (?) and u.suspended_at is null`,
      [...unblocked.params, usernames],
    );
  }

  /**
   * Adds `memberIds` (those not on the list yet), in the caller's transaction, under the list's row lock the caller
   * holds; answers how many were added. The caller checks the limit, then moves the count (`addToCount`).
   */
  async addMembers(em: EntityManager, listId: string, memberIds: string[]): Promise<number> {
    const rows = await em.execute<{ member_id: string }[]>(
      `insert into list_members (list_id, member_id, created_at)
       select ?, id, ? from unnest(?::uuid[]) as m(id)
       on conflict (list_id, member_id) do nothing returning member_id`,
      [listId, new Date(), `{${memberIds.join(',')}}`],
    );
    return rows.length;
  }

  async addToCount(em: EntityManager, listId: string, delta: number): Promise<ListRow> {
    const [row] = await em.execute<ListRow[]>(
      `update lists set members_count = members_count + ?, updated_at = now() where id = ? returning ${LIST_COLUMNS}`,
      [delta, listId],
    );
    return row;
  }

  /** Removes the members named (any case; suspended accounts too), in the caller's transaction; answers how many. */
  async removeMembers(em: EntityManager, listId: string, usernames: string[]): Promise<number> {
    const rows = await em.execute<{ member_id: string }[]>(
      `delete from list_members lm using users u
        where lm.list_id = ? and u.id = lm.member_id and lower(u.username) in (?) returning lm.member_id`,
      [listId, usernames],
    );
    return rows.length;
  }

  /**
   * A page of the members the owner may see (active, and no block either way: a block hides both sides, lists
   * included), newest first, over `list_members_list_created_idx`.
   */
  membersPage(ownerId: string, listId: string, cursor: Keyset | undefined, limit: number): Promise<{ member_id: string; added_at: Date }[]> {
    const unblocked = notBlockedEitherWay(value(ownerId), column('lm.member_id'));
    return executeOnReplica(
      this.getEntityManager(),
      `select lm.member_id, lm.created_at as added_at from list_members lm join users u on u.id = lm.member_id
        where lm.list_id = ? and u.suspended_at is null and ${unblocked.sql}
          ${cursor ? 'and (lm.created_at, lm.member_id) < (?, ?)' : ''}
        order by lm.created_at desc, lm.member_id desc limit ?`,
      [listId, ...unblocked.params, ...(cursor ? [cursor.at, cursor.id] : []), limit],
    );
  }

  /** Member ids after `after` in id order, over the primary key: the segment's keyset batches. */
  async memberIdBatch(listId: string, after: string | null, limit: number): Promise<string[]> {
    const rows = await this.getEntityManager().execute<{ member_id: string }[]>(
      `select member_id from list_members where list_id = ? ${after ? 'and member_id > ?' : ''} order by member_id limit ?`,
      [listId, ...(after ? [after] : []), limit],
    );
    return rows.map((r) => r.member_id);
  }

  /** `select member_id` of a list, for a statement of another module (a segment's `INSERT … SELECT`). */
  static memberIdsSql(listId: string): SqlFragment {
    return sql`select member_id from list_members where list_id = ${value(listId)}`;
  }
}
