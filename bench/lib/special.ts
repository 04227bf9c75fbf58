import { MikroORM } from '@mikro-orm/postgresql';
import Redis from 'ioredis';
import { Client } from 'pg';
import { v7 } from 'uuid';
import { AppConfig } from '@/common/config/app-config';
import { buildOrmOptions } from '@/common/database/orm-options';
import { subscriptionGrantsAccess } from '@/modules/entitlements/subscriber-access';
import { Notification } from '@/modules/notifications/entities/notification.entity';
import { NotificationsRepository } from '@/modules/notifications/notifications.repository';
import { median } from './load';

const FIRST_ID = '00000000-0000-0000-0000-000000000000';
const BATCH = 5000;
const ACCESS = `(s.status in ('active', 'trialing') or (s.status = 'past_due' and s.current_period_end + make_interval(days => $2) > now()))`;

/**
 * Waits until the outbox is relayed and every BullMQ queue under `prefix` is idle, so that a measurement does not
 * queue behind the notifications of the write benchmarks that ran before it. Answers how long that took (ms).
 */
export async function waitForIdleQueues(db: Client, redisUrl: string, prefix: string, timeoutMs = 300_000): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  const t0 = performance.now();
  try {
    while (performance.now() - t0 < timeoutMs) {
      const [{ n: outbox }] = (await db.query(`select count(*)::int as n from outbox_events where dispatched_at is null`)).rows;
      let queued = 0;
      for (const key of await redis.keys(`${prefix}:bull:*:wait`)) queued += await redis.llen(key);
      for (const key of await redis.keys(`${prefix}:bull:*:active`)) queued += await redis.llen(key);
      if (!outbox && !queued) return performance.now() - t0;
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`the queues were still busy after ${timeoutMs / 1000} s`);
  } finally {
    redis.disconnect();
  }
}

export interface FanOutResult {
  followers: number;
  subscribers: number;
  sampledFollowers: number;
  createMs: number;
  timelinesMs: number;
  notificationsMs: number;
  totalMs: number;
}

type Api = (method: string, path: string, token: string, body?: unknown) => Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * (1) A premium post by the big creator, until every sampled follower's first home page holds it (fan-out on read)
 * and every subscriber with access has its `subscribed_post` notification (the batched fan-out job).
 */
export async function measureFanOut(api: Api, db: Client, creator: { id: string; token: string }, followers: string[], graceDays: number): Promise<FanOutResult> {
  const [{ n: followerCount }] = (await db.query(`select count(*)::int as n from follows where following_id = $1`, [creator.id])).rows;
  const [{ n: expected }] = (
    await db.query(
      `select count(*)::int as n from subscriptions s where s.creator_id = $1 and ${ACCESS}
          and not exists (select 1 from blocks b where (b.blocker_id = s.subscriber_id and b.blocked_id = $1) or (b.blocker_id = $1 and b.blocked_id = s.subscriber_id))
          and not exists (select 1 from mutes m where m.muter_id = s.subscriber_id and m.muted_id = $1)`,
      [creator.id, graceDays],
    )
  ).rows;
  const t0 = performance.now();
  const created = await api('POST', '/api/v1/posts', creator.token, {
    content: `Premium drop for subscribers #bench ${new Date().toISOString()}`,
    is_premium: true,
    preview: 'Subscribers get the full post',
  });
  if (created.status !== 201) throw new Error(`creating the premium post answered ${created.status}`);
  const createMs = performance.now() - t0;
  const postId: string = created.body.id;
  let timelinesMs = -1;
  let notificationsMs = -1;
  const pending = new Set(followers);
  const deadline = t0 + 120_000;
  while ((timelinesMs < 0 || notificationsMs < 0) && performance.now() < deadline) {
    if (timelinesMs < 0) {
      await Promise.all(
        [...pending].map(async (token) => {
          const page = await api('GET', '/api/v1/timelines/home?limit=20', token);
          if (page.status === 200 && page.body.data.some((p: { id: string }) => p.id === postId)) pending.delete(token);
        }),
      );
      if (!pending.size) timelinesMs = performance.now() - t0;
    }
    if (notificationsMs < 0) {
      const [{ n }] = (await db.query(`select count(*)::int as n from notifications where post_id = $1 and type = 'subscribed_post'`, [postId])).rows;
      if (n >= expected) notificationsMs = performance.now() - t0;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return { followers: followerCount, subscribers: expected, sampledFollowers: followers.length, createMs, timelinesMs, notificationsMs, totalMs: Math.max(timelinesMs, notificationsMs) };
}

export interface BatchResult {
  rows: number;
  oursRowsPerSecond: number;
  rawRowsPerSecond: number;
  ratio: number;
  repetitions: number;
}

/**
 * (2) The `subscribed_post` fan-out's batches (NotificationsRepository.fanOutSubscribedPost: subscribers with access,
 * block/mute filter, INSERT … SELECT with uuid_generate_v7(), ON CONFLICT, RETURNING) against a raw loop of
 * multi-row INSERT … VALUES of the same rows (ids made in JS, nothing checked). Both on throwaway posts, interleaved.
 */
export async function measureNotificationBatches(config: AppConfig, url: string, db: Client, creatorId: string, repetitions = 3): Promise<BatchResult> {
  const orm = await MikroORM.init({ ...buildOrmOptions(config, url), pool: { min: 0, max: 2 } });
  const temp: string[] = [];
  const makePost = async () => {
    const id = v7();
    await db.query(`insert into posts (id, user_id, content, content_html, visibility, is_premium, created_at, updated_at) values ($1, $2, 'bench', '<p>bench</p>', 'public', true, now(), now())`, [id, creatorId]);
    temp.push(id);
    return id;
  };
  const ours: number[] = [];
  const raw: number[] = [];
  let rows = 0;
  try {
    const subscribers: string[] = (
      await db.query(`select s.subscriber_id as id from subscriptions s where s.creator_id = $1 and ${ACCESS} order by s.subscriber_id`, [creatorId, config.billing.pastDueGraceDays])
    ).rows.map((r) => r.id);
    for (let rep = 0; rep < repetitions; rep++) {
      const a = await makePost();
      const repo = orm.em.fork().getRepository(Notification) as unknown as NotificationsRepository;
      let after = FIRST_ID;
      let inserted = 0;
      let t = performance.now();
      for (;;) {
        const batch = await repo.fanOutSubscribedPost(a, creatorId, after, BATCH, subscriptionGrantsAccess('s', config.billing.pastDueGraceDays));
        inserted += batch.inserted.length;
        if (batch.covered.length < BATCH) break;
        after = batch.covered[batch.covered.length - 1];
      }
      ours.push(inserted / ((performance.now() - t) / 1000));
      rows = inserted;

      const b = await makePost();
      t = performance.now();
      for (let k = 0; k < subscribers.length; k += BATCH) {
        const chunk = subscribers.slice(k, k + BATCH);
        const params: unknown[] = [];
        const values = chunk.map((id, j) => {
          params.push(v7(), id, `subscribed_post:${b}`);
          const o = j * 3;
          return `($${o + 1}, $${o + 2}, '${creatorId}', 'subscribed_post', '${b}', false, now(), $${o + 3})`;
        });
        await db.query(`insert into notifications (id, user_id, from_user_id, type, post_id, read, created_at, dedupe_key) values ${values.join(', ')}`, params);
      }
      raw.push(subscribers.length / ((performance.now() - t) / 1000));
    }
  } finally {
    if (temp.length) await db.query('delete from posts where id = any($1::uuid[])', [temp]);
    await orm.close();
  }
  const oursRate = median(ours);
  const rawRate = median(raw);
  return { rows, oursRowsPerSecond: oursRate, rawRowsPerSecond: rawRate, ratio: oursRate / rawRate, repetitions };
}
