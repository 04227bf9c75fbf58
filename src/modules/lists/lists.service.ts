import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { v7 } from 'uuid';
import { AuthUser } from '@/common/auth/auth-user';
import { SqlFragment } from '@/common/database/sql-fragment';
import { FieldError } from '@/common/errors/app.exception';
import { decodeCursor, Page, PageQuery, toPage } from '@/common/http/pagination';
import { PublicUserResponse, toPublicUserResponse } from '@/modules/users/dto/user.response';
import { UsersService } from '@/modules/users/users.service';
import { ListPageResponse, ListResponse, toListResponse } from './dto/lists.dto';
import { MAX_LISTS, MAX_MEMBERS } from './entities/list.entity';
import { ListsErrors } from './lists.errors';
import { ListRow, ListsRepository } from './lists.repository';

/**
 * An owner's private lists and their members. Every route answers another owner's list as a missing one (404). The
 * limits hold under concurrency: list creation counts under a per-owner advisory lock, membership changes move
 * `members_count` under the list's row lock. Other modules read a list through `requireOwn`, `memberIdBatch` and
 * `memberIdsSql` (mass messages' `list:<id>` segment).
 */
@Injectable()
export class ListsService {
  constructor(
    private readonly em: EntityManager,
    private readonly lists: ListsRepository,
    private readonly users: UsersService,
  ) {}

  create(owner: AuthUser, name: string): Promise<ListResponse> {
    return this.em.fork().transactional(async (em: EntityManager) => {
      if ((await this.lists.lockOwnerAndCount(em, owner.id)) >= MAX_LISTS) throw ListsErrors.tooManyLists();
      return toListResponse(await this.lists.insertList(em, v7(), owner.id, name));
    });
  }

  async page(owner: AuthUser, query: PageQuery): Promise<ListPageResponse> {
    const rows = await this.lists.page(owner.id, decodeCursor(query.cursor), query.limit + 1);
    return toPage(rows, query.limit, (r) => ({ at: new Date(r.created_at), id: r.id }), toListResponse);
  }

  async get(owner: AuthUser, listId: string): Promise<ListResponse> {
    return toListResponse(await this.requireOwn(owner.id, listId));
  }

  async rename(owner: AuthUser, listId: string, name: string): Promise<ListResponse> {
    const row = await this.lists.rename(this.em.fork(), owner.id, listId, name);
    if (!row) throw ListsErrors.notFound();
    return toListResponse(row);
  }

  async remove(owner: AuthUser, listId: string): Promise<void> {
    if (!(await this.lists.remove(this.em.fork(), owner.id, listId))) throw ListsErrors.notFound();
  }

  /**
   * Adds accounts by username, all or nothing (Mastodon's rule: one account that cannot be added fails the request):
   * an unknown or suspended username, the owner's own, or one across a block either way is a `422` naming each of them.
   * Accounts already on the list are left as they are; the list may not pass 5,000 members.
   */
  addMembers(owner: AuthUser, listId: string, usernames: string[]): Promise<ListResponse> {
    const wanted = [...new Set(usernames.map((u) => u.toLowerCase()))];
    return this.em.fork().transactional(async (em: EntityManager) => {
      const list = await this.lists.findOwn(em, owner.id, listId, true);
      if (!list) throw ListsErrors.notFound();
      const found = new Map((await this.lists.candidates(em, owner.id, wanted)).map((c) => [c.username_lower, c]));
      const errors: FieldError[] = [];
      for (const name of wanted) {
        const candidate = found.get(name);
        if (!candidate) errors.push({ field: 'usernames', message: `${name}: no such account` });
        else if (candidate.id === owner.id) errors.push({ field: 'usernames', message: `${name}: you cannot add yourself` });
        else if (candidate.blocked) errors.push({ field: 'usernames', message: `${name}: a block stands between you` });
      }
      if (errors.length) throw ListsErrors.cannotAdd(errors);
      const added = await this.lists.addMembers(em, list.id, [...found.values()].map((c) => c.id));
      // Under the row lock taken above, so concurrent additions cannot pass the limit together.
      if (list.members_count + added > MAX_MEMBERS) throw ListsErrors.tooManyMembers();
      return toListResponse(added ? await this.lists.addToCount(em, list.id, added) : list);
    });
  }

  /** Removes accounts by username; names that are not on the list (or unknown) are ignored, as Mastodon does. */
  removeMembers(owner: AuthUser, listId: string, usernames: string[]): Promise<ListResponse> {
    const named = [...new Set(usernames.map((u) => u.toLowerCase()))];
    return this.em.fork().transactional(async (em: EntityManager) => {
      const list = await this.lists.findOwn(em, owner.id, listId, true);
      if (!list) throw ListsErrors.notFound();
      const removed = await this.lists.removeMembers(em, list.id, named);
      return toListResponse(removed ? await this.lists.addToCount(em, list.id, -removed) : list);
    });
  }

  /** Members the owner may see (active, no block either way), most recently added first. */
  async members(owner: AuthUser, listId: string, query: PageQuery): Promise<Page<PublicUserResponse>> {
    await this.requireOwn(owner.id, listId);
    const rows = await this.lists.membersPage(owner.id, listId, decodeCursor(query.cursor), query.limit + 1);
    const users = new Map((await this.users.findActiveByIds(rows.map((r) => r.member_id))).map((u) => [u.id, u]));
    return toPage(
      rows.filter((r) => users.has(r.member_id)),
      query.limit,
      (r) => ({ at: new Date(r.added_at), id: r.member_id }),
      (r) => toPublicUserResponse(users.get(r.member_id)!),
    );
  }

  /** The owner's list, or the 404 problem (also for another owner's list). */
  async requireOwn(ownerId: string, listId: string): Promise<ListRow> {
    const list = await this.lists.findOwn(this.em.fork(), ownerId, listId);
    if (!list) throw ListsErrors.notFound();
    return list;
  }

  /**
   * For other modules (mass messages' `list:<id>` segment): up to `limit` member ids of the owner's list after
   * `after` (null: from the start), in id order; an empty batch is the end. Memberships as stored: the caller applies
   * its own rules (blocks, suspended accounts, `dm_policy`). 404 problem when the list is not the owner's.
   */
  async memberIdBatch(ownerId: string, listId: string, after: string | null, limit: number): Promise<string[]> {
    await this.requireOwn(ownerId, listId);
    return this.lists.memberIdBatch(listId, after, limit);
  }

  /** `select member_id` of a list (check ownership with `requireOwn` first), for another module's `INSERT … SELECT`. */
  memberIdsSql(listId: string): SqlFragment {
    return ListsRepository.memberIdsSql(listId);
  }
}
