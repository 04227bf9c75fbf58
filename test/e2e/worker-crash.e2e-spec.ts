import { randomBytes } from 'node:crypto';
import { bearer, createSignedInUser } from '../factories/users';
import { useTestApp } from '../support/app';
import { waitFor } from '../support/wait';
import { startWorkerProcess, untilRunning, WorkerProcess } from '../support/worker-process';

const SUBSCRIBERS = 12_000;

describe('A worker killed in the middle of a fan-out', () => {
  const workers: WorkerProcess[] = [];
  afterAll(() => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  });
  // The API only: in this test, separate worker processes do the work.
  const t = useTestApp({ env: { APP_ROLE: 'api' } });

  it('leaves the batch to another worker, which completes it without duplicates', async () => {
    const creator = await createSignedInUser(t);
    const tag = randomBytes(4).toString('hex');
    await t.em().execute(
      `with fans as (
         insert into users (id, username, email, created_at, updated_at)
         select uuid_generate_v7(), 'fan_' || ? || '_' || i, 'fan_' || ? || '_' || i || '@example.test', now(), now()
           from generate_series(1, ?) i returning id)
       insert into subscriptions (id, subscriber_id, creator_id, status, price_cents, current_period_start, current_period_end, created_at, updated_at)
       select uuid_generate_v7(), id, ?, 'active', 500, now(), now() + interval '30 days', now(), now() from fans`,
      [tag, tag, SUBSCRIBERS, creator.id],
    );
    const post = await t.http.post('/api/v1/posts').set('Authorization', bearer(creator.accessToken)).send({ content: 'for my fans', is_premium: true }).expect(201);
    const delivered = async () =>
      ((await t.em().execute('select count(*)::int as n, count(distinct user_id)::int as people from notifications where post_id = ? and type = ?', [
        post.body.id,
        'subscribed_post',
      ])) as { n: number; people: number }[])[0];

    const first = startWorkerProcess();
    workers.push(first);
    await untilRunning(first);
    // Kill it as soon as the fan-out is under way, with batches still to go.
    await waitFor(delivered, (d) => d.n > 0, 30_000, 5);
    first.child.kill('SIGKILL');
    await first.exited;
    const atKill = await delivered();
    expect(atKill.n).toBeLessThan(SUBSCRIBERS);

    const second = startWorkerProcess();
    workers.push(second);
    await untilRunning(second);
    const done = await waitFor(delivered, (d) => d.n >= SUBSCRIBERS, 60_000, 200);
    expect(done).toEqual({ n: SUBSCRIBERS, people: SUBSCRIBERS });

    // A graceful stop: SIGTERM lets in-flight jobs finish and exits cleanly.
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(await delivered()).toEqual({ n: SUBSCRIBERS, people: SUBSCRIBERS });
  }, 120_000);
});
