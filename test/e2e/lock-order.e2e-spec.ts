import { as, createPost, follow, signedInUsers } from '../factories/posts';
import { createSignedInUser, SignedInUser } from '../factories/users';
import { useTestApp } from '../support/app';
import { BackendKiller } from '../support/pg-faults';
import { waitFor } from '../support/wait';

/**
 * Writes that move a post's counter and a user's `posts_count` in one transaction take the rows in one order (posts,
 * then users), or two of them at the same moment deadlock and one answers 500. The soak caught it (issue 24's runs): a
 * reply (the author's counter, then the parent's) and a repost (the original's counter, then the reposter's) of one
 * post by one user. Here the interleaving is forced: the test holds the user's row, so both requests reach it together.
 */
describe('Lock order of the writes that move post and user counters', () => {
  const t = useTestApp({ redisScope: 'lock-order' });
  let pg: BackendKiller;

  beforeAll(async () => {
    pg = await BackendKiller.on(t.config.database.url!);
  });

  afterAll(async () => {
    await pg?.close();
  });

  it('answers a reply and a repost of one post by one user at the same moment, without a deadlock', async () => {
    const [author, fan] = await Promise.all([createSignedInUser(t), createSignedInUser(t)]);
    const post = await createPost(t, author, 'reply to it and repost it');
    await pg.lockRow('users', fan.id);
    const reply = as(t, fan)
      .post('/posts', { content: 'me too', reply_to_id: post.id })
      .then((res) => res.status);
    await pg.waitingOn('update users set posts_count');
    const repost = as(t, fan)
      .post(`/posts/${post.id}/repost`)
      .then((res) => res.status);
    await pg.untilWaiting(2);
    await pg.release();

    expect(await Promise.all([reply, repost])).toEqual([201, 200]);
    const body = (await as(t, fan).get(`/posts/${post.id}`).expect(200)).body as { replies_count: number; reposts_count: number };
    expect(body).toMatchObject({ replies_count: 1, reposts_count: 1 });
    const [{ posts_count }] = await t.sql<{ posts_count: number }>('select posts_count from users where id = ?', [fan.id]);
    expect(posts_count).toBe(2);
  }, 60_000);

  describe('follows and blocks between two users (users rows first, by id, then follows and blocks)', () => {
    /** Deadlocks PostgreSQL detected in this test database (a backend reports its count within a second or so). */
    const deadlocks = async (): Promise<number> => {
      await t.sql('select pg_stat_clear_snapshot()');
      const [row] = await t.sql<{ n: string }>('select deadlocks::text as n from pg_stat_database where datname = current_database()');
      return Number(row.n);
    };
    const counts = async (users: SignedInUser[]) =>
      t.sql<{ id: string; followers_count: number; following_count: number; followers: number; following: number }>(
        `select u.id, u.followers_count, u.following_count,
                (select count(*)::int from follows f where f.following_id = u.id) as followers,
                (select count(*)::int from follows f where f.follower_id = u.id) as following
           from users u where u.id in (?) order by u.id`,
        [users.map((u) => u.id)],
      );
    const acrossBlocks = (users: SignedInUser[]) =>
      t.sql('select f.id from follows f join blocks b on (b.blocker_id, b.blocked_id) in ((f.follower_id, f.following_id), (f.following_id, f.follower_id)) where f.follower_id in (?)', [
        users.map((u) => u.id),
      ]);

    /*
     * Forced interleaving: the test holds the lower users row, the block arrives first, then b's request. Before the
     * fix the block deleted a→b, waited for the users rows, took them first, then waited for b→a, which b's unfollow
     * (or b's own block) had deleted before it waited for the users rows: a deadlock, one of the two answered 500.
     * And b's follow, checked against blocks before its transaction, outlived a's block.
     */
    it.each([
      ["b unfollows a", (a: SignedInUser) => `DELETE /users/${a.username}/follow`, 200],
      ['b blocks a', (a: SignedInUser) => `POST /users/${a.username}/block`, 200],
      ['b follows a again', (a: SignedInUser) => `POST /users/${a.username}/follow`, 403],
    ] as const)('a blocks b while %s, at the same moment: no deadlock, no follow across the block', async (_name, request, status) => {
      const [a, b] = await signedInUsers(t, 2);
      await follow(t, a, b);
      await follow(t, b, a);
      if (status === 403) await as(t, b).delete(`/users/${a.username}/follow`).expect(200);
      const before = await deadlocks();
      await pg.lockRow('users', [a.id, b.id].sort()[0]);
      const block = as(t, a)
        .post(`/users/${b.username}/block`)
        .then((res) => res.status);
      await pg.untilWaiting(1);
      const [method, path] = request(a).split(' ');
      const other = (method === 'POST' ? as(t, b).post(path) : as(t, b).delete(path)).then((res) => res.status);
      await pg.untilWaiting(2);
      await pg.release();

      expect(await Promise.all([block, other])).toEqual([200, status]);
      expect(await counts([a, b])).toEqual(
        [a, b].sort((x, y) => (x.id < y.id ? -1 : 1)).map((u) => ({ id: u.id, followers_count: 0, following_count: 0, followers: 0, following: 0 })),
      );
      expect(await acrossBlocks([a, b])).toEqual([]);
      expect((await waitFor(deadlocks, (n) => n > before, 1_500, 250)) - before).toBe(0);
    }, 60_000);

    /*
     * The shape of social.e2e-spec's "following each other all at once", hammered: each round one user blocks
     * another while the blocked one unfollows, blocks back or follows again, and others follow and unfollow both.
     */
    it('many rounds of a block among a crowd following and unfollowing: exact counters, no deadlock, no 500', async () => {
      const crowd = await signedInUsers(t, 8);
      await Promise.all(crowd.flatMap((a) => crowd.filter((b) => b !== a).map((b) => follow(t, a, b))));
      const before = await deadlocks();
      const statuses = new Map<number, number>();
      for (let round = 0; round < 12; round++) {
        const [a, b, ...others] = [...crowd].sort(() => Math.random() - 0.5);
        const reply = [
          () => as(t, b).delete(`/users/${a.username}/follow`),
          () => as(t, b).post(`/users/${a.username}/block`),
          () => as(t, b).post(`/users/${a.username}/follow`),
        ][round % 3];
        const answers = await Promise.all([
          as(t, a).post(`/users/${b.username}/block`),
          reply(),
          ...others.slice(0, 5).flatMap((o, i) =>
            i % 2 ? [as(t, o).delete(`/users/${a.username}/follow`), as(t, o).post(`/users/${b.username}/follow`)] : [as(t, o).post(`/users/${a.username}/follow`), as(t, o).delete(`/users/${b.username}/follow`)],
          ),
        ]);
        for (const res of answers) statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(await acrossBlocks(crowd)).toEqual([]);
        await Promise.all([as(t, a).delete(`/users/${b.username}/block`).expect(200), as(t, b).delete(`/users/${a.username}/block`).expect(200)]);
        await Promise.all([follow(t, a, b), follow(t, b, a)]);
      }
      // 403: b's follow again, when a's block went first.
      expect([...statuses.keys()].filter((s) => s !== 200 && s !== 403)).toEqual([]);
      for (const row of await counts(crowd)) expect({ id: row.id, followers: row.followers_count, following: row.following_count }).toEqual({ id: row.id, followers: row.followers, following: row.following });
      expect((await waitFor(deadlocks, (n) => n > before, 1_500, 250)) - before).toBe(0);
    }, 120_000);
  });
});
