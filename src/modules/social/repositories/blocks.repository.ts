import { EntityManager, EntityRepository } from '@mikro-orm/postgresql';
import { v7 } from 'uuid';
import { SqlFragment } from '@/common/database/sql-fragment';
import { Block } from '../entities/block.entity';

export class BlocksRepository extends EntityRepository<Block> {
  /** Of `userIds`, those the viewer blocks or is blocked by. */
  async blockedEitherWay(viewerId: string, userIds: string[], em: EntityManager = this.getEntityManager()): Promise<Set<string>> {
    if (!userIds.length) return new Set();
    const q = BlocksRepository.blockedEitherWaySql(viewerId, userIds);
    const rows = await em.execute<{ id: string }[]>(q.sql, [...q.params]);
    return new Set(rows.map((r) => r.id));
  }

  /** The same as a `select id` (`userIds` not empty), to run alone or inside a larger statement. */
  static blockedEitherWaySql(viewerId: string, userIds: string[]): SqlFragment {
    return {
      sql: `select blocked_id as id from blocks where blocker_id = ? and blocked_id in (?)
       union select blocker_id from blocks where blocked_id = ? and blocker_id in (?)`,
      params: [viewerId, userIds, viewerId, userIds],
    };
  }

  /** In `em`'s transaction when given (a follow asks it there, after locking the pair, so a block cannot slip in). */
  async isBlockedEitherWay(a: string, b: string, em?: EntityManager): Promise<boolean> {
    return (await this.blockedEitherWay(a, [b], em)).has(b);
  }

  async block(em: EntityManager, blockerId: string, blockedId: string): Promise<void> {
    await em.execute(
      'insert into blocks (id, blocker_id, blocked_id, created_at) values (?, ?, ?, now()) on conflict (blocker_id, blocked_id) do nothing',
      [v7(), blockerId, blockedId],
    );
  }

  async unblock(em: EntityManager, blockerId: string, blockedId: string): Promise<void> {
    await em.execute('delete from blocks where blocker_id = ? and blocked_id = ?', [blockerId, blockedId]);
  }
}
