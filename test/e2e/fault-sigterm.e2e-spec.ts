import { createPost, uniqueWord } from '../factories/posts';
import { createSignedInUser, SignedInUser } from '../factories/users';
import { useTestApp } from '../support/app';
import { HttpClient, RawResponse } from '../support/http-client';
import { exitWithin, ServiceProcess, startServiceProcess } from '../support/service-process';
import { drained, waitFor } from '../support/wait';

/**
 * SIGTERM reaches a real service process (APP_ROLE=all: HTTP, relay and workers) in the middle of a burst of writes.
 * Requests already in flight complete; later ones are refused (503, or no connection), never half-applied: each post
 * exists at most once, with its outbox event (each mentions someone), and exactly once when the client saw 201. The process exits 0 (it
 * exits 1 when it overruns SHUTDOWN_TIMEOUT_MS), and a new process relays and handles every event exactly once.
 */
const SHUTDOWN_TIMEOUT_MS = 15_000;
// A job the stopped process held (or a receipt race) waits for the re-send pass: short here, so the new process
// settles within the test's wait; production waits minutes.
const ENV = { SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), RATE_LIMIT_POST_CREATE: '100000/1h', OUTBOX_RESEND_AFTER: '2s' };

interface Sent {
  kind: 'post' | 'like' | 'follow';
  /** The post's content marker, or `actor:target`. */
  key: string;
  status: number;
  id?: string;
  error?: string;
  problemCode?: string;
}

describe('SIGTERM during a burst of writes', () => {
  const processes: ServiceProcess[] = [];

  afterAll(() => {
    for (const p of processes) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  });
  // In-process, the API only (no relay, no workers): for arranging and checking; the processes do the work.
  const t = useTestApp({ env: { APP_ROLE: 'api' } });

  it('finishes in-flight requests, refuses later ones cleanly, exits 0, and a new process handles every event once', async () => {
    const actors: SignedInUser[] = await Promise.all(Array.from({ length: 8 }, () => createSignedInUser(t)));
    const seeds = await Promise.all(actors.slice(0, 4).map((a) => createPost(t, a)));
    const ids = actors.map((a) => a.id);
    const marker = uniqueWord('sigterm');

    const first = await startServiceProcess(ENV);
    processes.push(first);
    const client = new HttpClient(first.port, '127.0.0.1', 128, (response) => t.contract.observe(response));
    const sent: Sent[] = [];
    const record = async (entry: Omit<Sent, 'status'>, call: Promise<RawResponse>) => {
      try {
        const res = await call;
        const body = res.body as { id?: string; code?: string } | undefined;
        sent.push({ ...entry, status: res.status, id: res.status === 201 ? body?.id : undefined, problemCode: res.status >= 400 ? body?.code : undefined });
      } catch (error) {
        sent.push({ ...entry, status: 0, error: (error as Error).message });
      }
    };
    const post = (i: number, wave: number) => {
      // A mention gives each post an event (`post.mentioned`): a plain post records none, nothing subscribes to it.
      const key = `${marker} w${wave} n${i} @${actors[(i + 1) % actors.length].username}`;
      return record({ kind: 'post', key }, client.json('POST', '/api/v1/posts', { content: key }, actors[i % actors.length].accessToken));
    };
    const burst: Promise<void>[] = [];
    for (let i = 0; i < 40; i++) burst.push(post(i, 1));
    actors.forEach((actor, a) =>
      seeds.forEach((seed, s) => {
        if (seed.author.id === actor.id) return;
        burst.push(record({ kind: 'like', key: `${actor.id}:${seed.id}` }, client.json('POST', `/api/v1/posts/${seed.id}/like`, undefined, actor.accessToken)));
        const target = actors[(a + s + 1) % actors.length];
        if (target.id !== actor.id) {
          burst.push(record({ kind: 'follow', key: `${actor.id}:${target.id}` }, client.json('POST', `/api/v1/users/${target.username}/follow`, undefined, actor.accessToken)));
        }
      }),
    );

    // SIGTERM once some answers are back, with most of the burst still in flight; then a second wave arrives.
    await waitFor(async () => sent.length, (n) => n >= 15, 30_000, 5);
    first.child.kill('SIGTERM');
    for (let i = 0; i < 20; i++) burst.push(post(i, 2));
    await Promise.all(burst);
    client.close();
    expect(await exitWithin(first, SHUTDOWN_TIMEOUT_MS + 10_000)).toBe(0);

    // Every answer: done (2xx), or refused cleanly (503 problem, no connection); nothing else.
    const refused = (s: Sent) => (s.status === 503 && s.problemCode === 'service_unavailable') || (s.status === 0 && /ECONNREFUSED|ECONNRESET|socket hang up/.test(s.error ?? ''));
    expect(sent.filter((s) => !(s.status === 200 || s.status === 201 || refused(s)))).toEqual([]);
    expect(sent.filter((s) => s.status === 200 || s.status === 201).length).toBeGreaterThanOrEqual(15);

    // Posts: at most once each; exactly once (with the id answered) when the client saw 201; each with one outbox event.
    const posts = await t.sql<{ id: string; content: string; events: number }>(
      `select p.id, p.content, (select count(*)::int from outbox_events e where e.type = 'post.mentioned' and e.payload->>'postId' = p.id::text) as events
         from posts p where p.content like ?`,
      [`${marker} %`],
    );
    const byContent = new Map<string, string[]>();
    for (const p of posts) byContent.set(p.content, [...(byContent.get(p.content) ?? []), p.id]);
    expect([...byContent.values()].filter((list) => list.length > 1)).toEqual([]);
    for (const s of sent.filter((x) => x.kind === 'post' && x.status === 201)) expect(byContent.get(s.key)).toEqual([s.id]);
    for (const p of posts) expect(sent.some((s) => s.key === p.content && (s.status === 201 || refused(s)))).toBe(true);
    expect(posts.filter((p) => p.events !== 1)).toEqual([]);

    // Likes and follows: a row for every 200, one outbox event per row, counters equal to the rows.
    const likes = await t.sql<{ key: string; events: number }>(
      `select l.user_id || ':' || l.post_id as key,
              (select count(*)::int from outbox_events e where e.type = 'post.liked' and e.payload->>'userId' = l.user_id::text and e.payload->>'postId' = l.post_id::text) as events
         from likes l where l.user_id in (?)`,
      [ids],
    );
    const follows = await t.sql<{ key: string; events: number }>(
      `select f.follower_id || ':' || f.following_id as key,
              (select count(*)::int from outbox_events e where e.type = 'user.followed' and e.payload->>'followerId' = f.follower_id::text and e.payload->>'followingId' = f.following_id::text) as events
         from follows f where f.follower_id in (?)`,
      [ids],
    );
    for (const [kind, list] of [['like', likes], ['follow', follows]] as const) {
      const keys = new Set(list.map((r) => r.key));
      expect(sent.filter((s) => s.kind === kind && s.status === 200 && !keys.has(s.key))).toEqual([]);
      expect(list.filter((r) => r.events !== 1)).toEqual([]);
    }
    const counters = await t.sql<{ id: string; likes_count: number; n: number }>(
      'select p.id, p.likes_count, (select count(*)::int from likes l where l.post_id = p.id) as n from posts p where p.id in (?)',
      [seeds.map((s) => s.id)],
    );
    expect(counters.filter((c) => c.likes_count !== c.n)).toEqual([]);

    // A new process: whatever the first left in the outbox or the queues is relayed and handled, each exactly once.
    const second = await startServiceProcess(ENV);
    processes.push(second);
    const expected = [
      ...likes.map((l) => `${seeds.find((s) => s.id === l.key.split(':')[1])!.author.id}:like`),
      ...follows.map((f) => `${f.key.split(':')[1]}:follow`),
      ...posts.map((p) => `${actors.find((a) => p.content.endsWith(`@${a.username}`))!.id}:mention`),
    ].sort();
    const delivered = async () =>
      (await t.sql<{ key: string }>(`select user_id || ':' || type as key from notifications where user_id in (?)`, [ids])).map((r) => r.key).sort();
    await waitFor(delivered, (got) => got.length >= expected.length, 45_000, 200);
    await drained(t);
    expect(await delivered()).toEqual(expected);
    const [pending] = await t.sql<{ n: number }>('select count(*)::int as n from outbox_events where handled_at is null');
    expect(pending.n).toBe(0);

    second.child.kill('SIGTERM');
    expect(await exitWithin(second, SHUTDOWN_TIMEOUT_MS + 10_000)).toBe(0);
  }, 150_000);
});
