import { as, createPost } from '../factories/posts';
import { createSignedInUser } from '../factories/users';
import { useTestApp } from '../support/app';
import { BackendKiller } from '../support/pg-faults';

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
});
