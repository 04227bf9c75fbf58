import { AccountDataRegistry } from '@/common/account-data/account-data.registry';
import { User } from '@/modules/users/entities/user.entity';
import { createSignedInUser } from '../factories/users';
import { createTestApp, TestApp } from '../support/app';

const POSTS = 20_000;
const LIKES = 20_000;
const FOLLOWERS = 5_000;

/**
 * Erasure in bounded batches: a large account is erased by many short statements, none of them long enough to hold
 * locks for long, and the counters of the other side stay right.
 */
describe('Account erasure at scale', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ APP_ROLE: 'api', REDIS_PREFIX: `${process.env.REDIS_PREFIX}:erasure-scale` });
  });

  afterAll(async () => {
    await t?.close();
  });

  it(`erases ${POSTS} posts, ${LIKES} likes and ${FOLLOWERS} followers in bounded batches`, async () => {
    const user = await createSignedInUser(t);
    const other = await createSignedInUser(t);
    const em = t.em();
    await em.execute(
      `insert into posts (id, user_id, content, created_at, updated_at) select uuid_generate_v7(), ?, 'post ' || g, now(), now() from generate_series(1, ?) g`,
      [user.id, POSTS],
    );
    await em.execute(
      `insert into posts (id, user_id, content, created_at, updated_at) select uuid_generate_v7(), ?, 'liked ' || g, now(), now() from generate_series(1, ?) g`,
      [other.id, LIKES],
    );
    await em.execute(`insert into likes (id, user_id, post_id, created_at) select uuid_generate_v7(), ?, id, now() from posts where user_id = ?`, [user.id, other.id]);
    await em.execute(`update posts set likes_count = 1 where user_id = ?`, [other.id]);
    await em.execute(
      `insert into users (id, username, email, created_at, updated_at)
         select uuid_generate_v7(), 'fan_' || substr(md5(random()::text), 1, 20), md5(random()::text) || '@scale.test', now(), now() from generate_series(1, ?)`,
      [FOLLOWERS],
    );
    await em.execute(
      `insert into follows (id, follower_id, following_id, created_at) select uuid_generate_v7(), id, ?, now() from users where email like '%@scale.test' and id not in (select follower_id from follows where following_id = ?)`,
      [user.id, user.id],
    );
    const followers = await em.execute<{ id: string }[]>(`select follower_id as id from follows where following_id = ?`, [user.id]);
    await em.execute(`update users set following_count = 1 where id in (?)`, [followers.map((f) => f.id)]);

    const durations: Record<string, number[]> = {};
    const started = Date.now();
    for (const part of t.app.get(AccountDataRegistry).all()) {
      if (!part.eraseBatch) continue;
      for (;;) {
        const before = performance.now();
        const removed = await part.eraseBatch(user.id);
        (durations[part.name] ??= []).push(performance.now() - before);
        if (!removed) break;
      }
    }
    const total = Date.now() - started;
    const summary = Object.fromEntries(
      Object.entries(durations).map(([name, list]) => [name, { batches: list.length, max_ms: Math.round(Math.max(...list)) }]),
    );
    console.log(`erasure: ${total} ms in all`, summary);

    expect(await em.execute(`select count(*)::int as n from posts where user_id = ?`, [user.id])).toEqual([{ n: 0 }]);
    expect(await em.execute(`select count(*)::int as n from likes where user_id = ?`, [user.id])).toEqual([{ n: 0 }]);
    expect(await em.execute(`select count(*)::int as n from follows where following_id = ?`, [user.id])).toEqual([{ n: 0 }]);
    expect(await em.execute(`select count(*)::int as n from posts where user_id = ? and likes_count <> 0`, [other.id])).toEqual([{ n: 0 }]);
    expect(await t.em().count(User, { id: { $in: followers.map((f) => f.id) }, followingCount: { $ne: 0 } })).toBe(0);
    // Bounded batches: the work is split (its duration per batch is in the log line above, not asserted).
    expect(durations.posts.length).toBeGreaterThan(POSTS / 1000);
  }, 300_000);
});
