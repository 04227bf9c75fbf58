import { EntityRepository } from '@mikro-orm/postgresql';
import { PostUnlock } from '../entities/post-unlock.entity';

export class PostUnlocksRepository extends EntityRepository<PostUnlock> {
  /** Of `postIds`, those the user bought (and was not refunded). */
  async unlockedAmong(userId: string, postIds: string[]): Promise<Set<string>> {
    if (!postIds.length) return new Set();
    const rows = await this.getEntityManager().execute<{ id: string }[]>(
      `select post_id as id from post_unlocks where user_id = ? and post_id in (?) and status = 'paid'`,
      [userId, postIds],
    );
    return new Set(rows.map((r) => r.id));
  }
}
