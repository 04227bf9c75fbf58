import { bearer, createSignedInUser } from '../factories/users';
import { withTestApp } from '../support/app';
import { drained, waitFor } from '../support/wait';

/** An app whose Redis is a closed port: the API keeps working from PostgreSQL, the relay cannot enqueue. */
const REDIS_DOWN = { REDIS_URL: 'redis://127.0.0.1:1' };

describe('Outbox relay with Redis unreachable', () => {
  it('delays notifications while Redis is down and delivers each exactly once after it is back', async () => {
    const author = await withTestApp({ env: REDIS_DOWN }, async (down) => {
      const author = await createSignedInUser(down);
      const fans = await Promise.all(Array.from({ length: 3 }, () => createSignedInUser(down)));
      const post = await down.http.post('/api/v1/posts').set('Authorization', bearer(author.accessToken)).send({ content: 'during the outage' }).expect(201);
      for (const fan of fans) {
        await down.http.post(`/api/v1/users/${author.username}/follow`).set('Authorization', bearer(fan.accessToken)).expect(200);
        await down.http.post(`/api/v1/posts/${post.body.id}/like`).set('Authorization', bearer(fan.accessToken)).expect(200);
      }
      const pending = async () =>
        (
          await down.sql<{ n: number }>(
            `select count(*)::int as n from outbox_events where dispatched_at is null and payload->>'followingId' = ? or (dispatched_at is null and payload->>'authorId' = ?)`,
            [author.id, author.id],
          )
        )[0].n;
      // The relay keeps trying; nothing leaves the outbox while Redis is unreachable.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(await pending()).toBe(6); // 3 follows + 3 likes (a plain post has no subscriber, so no event)
      return author;
    });

    await withTestApp({}, async (up) => {
      const count = () =>
        up.sql<{ type: string; n: number }>('select type, count(*)::int as n from notifications where user_id = ? group by type order by type', [author.id]);
      const delivered = await waitFor(count, (rows) => rows.reduce((s, r) => s + r.n, 0) >= 6);
      expect(delivered).toEqual([
        { type: 'follow', n: 3 },
        { type: 'like', n: 3 },
      ]);
      await drained(up);
      expect(await count()).toEqual(delivered);
    });
    // Two app boots, one against a closed Redis port: 13-19 s alone, past 60 s once late in a long in-band .ci/run
    // (why that run was twice as slow is open); the wait is the budget, not what is tested.
  }, 120_000);
});
