import { Injectable, OnModuleInit } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AccountDataRegistry, keysetItems } from '@/common/account-data/account-data.registry';
import { UserCountersService } from '@/modules/users/user-counters.service';

const BATCH = 1000;

/** Follows, blocks and mutes of a deleted account (counts of the other side fixed in the same statement), and the export lists. */
@Injectable()
export class SocialAccountDataService implements OnModuleInit {
  constructor(
    private readonly em: EntityManager,
    private readonly registry: AccountDataRegistry,
    private readonly users: UserCountersService,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      name: 'social',
      order: 10,
      eraseBatch: (userId) => this.eraseBatch(userId),
      export: (userId, sink) => {
        sink.json('following.json', this.list(userId, 'following'));
        sink.json('followers.json', this.list(userId, 'followers'));
      },
    });
  }

  /** Follows in each direction (the other side's counter lowered in the same transaction), then blocks and mutes. */
  async eraseBatch(userId: string): Promise<number> {
    const unfollow = (own: 'follower_id' | 'following_id', other: 'follower_id' | 'following_id', counter: 'followers_count' | 'following_count') =>
      this.em.fork().transactional(async (em: EntityManager) => {
        const batch = await em.execute<{ id: string; other_id: string }[]>(`select id, ${other} as other_id from follows where ${own} = ? limit ?`, [
          userId,
          BATCH,
        ]);
        if (!batch.length) return 0;
        // The users rows first, by id, then the follows: the lock order of follow, unfollow and block (lockUsers).
        await this.users.lockUsers(em, batch.map((row) => row.other_id));
        // Only those still there count: an unfollow may have taken one meanwhile (and lowered its counters).
        const gone = await em.execute<{ other_id: string }[]>(`delete from follows where id in (?) returning ${other} as other_id`, [
          batch.map((row) => row.id),
        ]);
        await this.users.lowerCounts(em, counter, gone.map((row) => row.other_id));
        return gone.length;
      });
    const followed = await unfollow('follower_id', 'following_id', 'followers_count');
    const followers = await unfollow('following_id', 'follower_id', 'following_count');
    const [rest] = await this.em.fork().execute<{ n: number }[]>(
      `with b as (delete from blocks where id in (select id from blocks where blocker_id = ? or blocked_id = ? limit ?) returning 1),
            m as (delete from mutes where id in (select id from mutes where muter_id = ? or muted_id = ? limit ?) returning 1)
       select (select count(*) from b)::int + (select count(*) from m)::int as n`,
      [userId, userId, BATCH, userId, userId, BATCH],
    );
    return followed + followers + rest.n;
  }

  /** Who the user follows (`following`) or who follows them (`followers`), oldest first. */
  private list(userId: string, side: 'following' | 'followers') {
    const [own, other] = side === 'following' ? ['follower_id', 'following_id'] : ['following_id', 'follower_id'];
    type Row = { id: string; username: string; created_at: Date };
    return keysetItems<Row, object>(
      (after) =>
        this.em.fork().execute<Row[]>(
          `select f.id, u.username, f.created_at from follows f join users u on u.id = f.${other}
            where f.${own} = ? and u.deleted_at is null ${after ? 'and f.id > ?' : ''} order by f.id limit 500`,
          after ? [userId, after.id] : [userId],
        ),
      (row) => ({ username: row.username, since: new Date(row.created_at).toISOString() }),
    );
  }
}
