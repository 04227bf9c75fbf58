import { Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AccountDataRegistry, keysetItems } from '@/common/account-data/account-data.registry';

const BATCH = 500;

/**
 * A deleted account's lists (their memberships go with them) and its memberships of other owners' lists (those lists'
 * counts lowered in the same transaction, under their row locks taken first, the order every membership change
 * takes). The export gains `lists.json`: each list with its members' usernames.
 */
@Injectable()
export class ListsAccountDataService implements OnModuleInit {
  constructor(
    private readonly em: EntityManager,
    private readonly registry: AccountDataRegistry,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      name: 'lists',
      order: 15,
      eraseBatch: (userId) => this.eraseBatch(userId),
      export: (userId, sink) => sink.json('lists.json', this.export(userId)),
    });
  }

  async eraseBatch(userId: string): Promise<number> {
    const own = await this.em.fork().transactional(async (em: EntityManager) => {
      const rows = await em.execute<{ id: string }[]>(
        'delete from lists where id in (select id from lists where owner_id = ? limit ?) returning id',
        [userId, BATCH],
      );
      return rows.length;
    });
    const memberships = await this.em.fork().transactional(async (em: EntityManager) => {
      const lists = await em.execute<{ id: string }[]>(
        `select id from lists where id in (select list_id from list_members where member_id = ? limit ?) order by id for update`,
        [userId, BATCH],
      );
      if (!lists.length) return 0;
      const ids = lists.map((l) => l.id);
      await em.execute(
        `with gone as (delete from list_members where member_id = ? and list_id in (?) returning list_id)
         update lists set members_count = members_count - 1, updated_at = now() where id in (select list_id from gone)`,
        [userId, ids],
      );
      return ids.length;
    });
    return own + memberships;
  }

  private async *export(userId: string): AsyncIterable<object> {
    type Row = { id: string; name: string; created_at: Date };
    const lists = keysetItems<Row, Row>(
      (after) =>
        this.em.fork().execute<Row[]>(
          `select id, name, created_at from lists where owner_id = ? ${after ? 'and id > ?' : ''} order by id limit 100`,
          after ? [userId, after.id] : [userId],
        ),
      (row) => row,
    );
    for await (const list of lists) {
      const members = await this.em.fork().execute<{ username: string }[]>(
        `select u.username from list_members lm join users u on u.id = lm.member_id
          where lm.list_id = ? and u.deleted_at is null order by lm.created_at, lm.member_id`,
        [list.id],
      );
      yield { name: list.name, created_at: new Date(list.created_at).toISOString(), members: members.map((m) => m.username) };
    }
  }
}
