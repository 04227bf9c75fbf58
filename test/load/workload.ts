import { createHmac, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { HttpClient, RawResponse } from '../support/http-client';

/**
 * The mixed workload of the load test, the load smoke test and the fault tests: reads (public and home timelines,
 * profiles, posts), writes (posts, likes, follows) and, when a webhook secret is given, signed Stripe webhooks.
 * It remembers which writes succeeded, so a test can tell what the workers must have made of them.
 */

export interface Actor {
  id: string;
  username: string;
  accessToken: string;
}

export type ActionKind = 'timeline_public' | 'timeline_home' | 'profile' | 'post_read' | 'post_create' | 'like' | 'follow' | 'webhook';

export const READS: ActionKind[] = ['timeline_public', 'timeline_home', 'profile', 'post_read'];
export const WRITES: ActionKind[] = ['post_create', 'like', 'follow', 'webhook'];

export interface Outcome {
  kind: ActionKind;
  /** 0: no HTTP answer (connection refused or reset, timeout). */
  status: number;
  ms: number;
  error?: string;
  /** The problem's `code`, for 4xx and 5xx answers. */
  code?: string;
  /** For 4xx and 5xx answers: whether it came as `application/problem+json`. */
  problem?: boolean;
  /** The problem's `request_id`: the service's log lines of that request carry it. */
  requestId?: string;
}

export const DEFAULT_WEIGHTS: Record<ActionKind, number> = {
  timeline_public: 20,
  timeline_home: 20,
  profile: 10,
  post_read: 15,
  post_create: 12,
  like: 15,
  follow: 6,
  webhook: 2,
};

export interface WorkloadOptions {
  weights?: Partial<Record<ActionKind, number>>;
  /** `STRIPE_WEBHOOK_SECRET` of the service: webhooks are sent only with it. */
  webhookSecret?: string;
  /** Per-request timeout. */
  timeoutMs?: number;
}

const API = '/api/v1';

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)];
}

/** A Stripe-Signature header as Stripe computes it: `t=<unix seconds>,v1=<HMAC-SHA256 of "t.body">`. */
export function stripeSignature(body: string, secret: string, at = Math.floor(Date.now() / 1000)): string {
  return `t=${at},v1=${createHmac('sha256', secret).update(`${at}.${body}`).digest('hex')}`;
}

export class MixedWorkload {
  /** Posts known to exist: id → author id. */
  readonly posts = new Map<string, string>();
  /** Successful writes, for the expectations of the fault tests. */
  readonly created = new Set<string>();
  readonly likes = new Set<string>();
  readonly follows = new Set<string>();
  readonly webhooks = new Set<string>();
  /** Writes whose answer never came (or was a 5xx): they may or may not have happened. */
  readonly uncertain: { kind: ActionKind; key: string }[] = [];
  readonly outcomes: Outcome[] = [];
  private readonly kinds: ActionKind[];
  private readonly cumulative: number[];
  private readonly total: number;

  constructor(
    private readonly client: HttpClient,
    private readonly actors: Actor[],
    private readonly options: WorkloadOptions = {},
  ) {
    const weights = { ...DEFAULT_WEIGHTS, ...options.weights };
    if (!options.webhookSecret) weights.webhook = 0;
    this.kinds = (Object.keys(weights) as ActionKind[]).filter((k) => weights[k] > 0);
    let sum = 0;
    this.cumulative = this.kinds.map((k) => (sum += weights[k]));
    this.total = sum;
  }

  private choose(): ActionKind {
    const r = Math.random() * this.total;
    return this.kinds[this.cumulative.findIndex((c) => r < c)];
  }

  /** Creates one post per actor, so that reads and likes have something to work on from the start. */
  async seed(): Promise<void> {
    for (const actor of this.actors) await this.run('post_create', actor);
  }

  /** One action of the mix, by a random actor (or `kind` when given). */
  step(kind: ActionKind = this.choose(), actor: Actor = pick(this.actors)): Promise<Outcome> {
    return this.run(kind, actor);
  }

  private async run(kind: ActionKind, actor: Actor): Promise<Outcome> {
    const started = performance.now();
    let key = '';
    let res: RawResponse | undefined;
    let error: string | undefined;
    try {
      switch (kind) {
        case 'timeline_public':
          res = await this.get('/timelines/public?limit=20', actor);
          break;
        case 'timeline_home':
          res = await this.get('/timelines/home?limit=20', actor);
          break;
        case 'profile':
          res = await this.get(`/users/${pick(this.actors).username}`, actor);
          break;
        case 'post_read':
          res = await this.get(`/posts/${this.somePost() ?? '00000000-0000-7000-8000-000000000000'}`, actor);
          break;
        case 'post_create':
          res = await this.client.json('POST', `${API}/posts`, { content: `load ${randomBytes(6).toString('hex')} #load` }, actor.accessToken, this.requestOptions());
          if (res.status === 201) {
            const id = (res.body as { id: string }).id;
            this.posts.set(id, actor.id);
            this.created.add(id);
          }
          break;
        case 'like': {
          const post = this.somePost(actor.id);
          if (!post) return this.run('post_create', actor);
          key = `${actor.id}:${post}`;
          res = await this.client.json('POST', `${API}/posts/${post}/like`, undefined, actor.accessToken, this.requestOptions());
          if (res.status === 200) this.likes.add(key);
          break;
        }
        case 'follow': {
          const target = pick(this.actors.filter((a) => a.id !== actor.id));
          key = `${actor.id}:${target.id}`;
          res = await this.client.json('POST', `${API}/users/${target.username}/follow`, undefined, actor.accessToken, this.requestOptions());
          if (res.status === 200) this.follows.add(key);
          break;
        }
        case 'webhook':
          res = await this.webhook();
          break;
      }
    } catch (e) {
      error = (e as Error).message;
    }
    const status = res?.status ?? 0;
    if (WRITES.includes(kind) && (status === 0 || status >= 500)) this.uncertain.push({ kind, key });
    const outcome: Outcome = { kind, status, ms: performance.now() - started, error };
    if (status >= 400) {
      outcome.code = (res?.body as { code?: string } | undefined)?.code;
      outcome.requestId = (res?.body as { request_id?: string } | undefined)?.request_id;
      outcome.problem = /^application\/problem\+json/.test(String(res?.headers['content-type'] ?? ''));
    }
    this.outcomes.push(outcome);
    return outcome;
  }

  private requestOptions(): { timeoutMs?: number } {
    return { timeoutMs: this.options.timeoutMs };
  }

  private get(path: string, actor: Actor): Promise<RawResponse> {
    return this.client.send({ method: 'GET', path: `${API}${path}`, headers: { authorization: `Bearer ${actor.accessToken}` }, timeoutMs: this.options.timeoutMs });
  }

  /** A random known post, not by `notBy`. */
  private somePost(notBy?: string): string | undefined {
    const ids = [...this.posts.keys()];
    for (let i = 0; i < 8 && ids.length; i++) {
      const id = pick(ids);
      if (this.posts.get(id) !== notBy) return id;
    }
    return undefined;
  }

  /** A signed event of a type the service stores and acknowledges; one in five is a redelivery of an earlier one. */
  private webhook(): Promise<RawResponse> {
    const earlier = [...this.webhooks];
    const id = earlier.length && Math.random() < 0.2 ? pick(earlier) : `evt_load_${randomBytes(8).toString('hex')}`;
    const body = JSON.stringify({
      id,
      object: 'event',
      api_version: '2024-06-20',
      created: Math.floor(Date.now() / 1000),
      type: 'customer.created',
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object: { id: `cus_${randomBytes(7).toString('hex')}`, object: 'customer' } },
    });
    this.webhooks.add(id);
    return this.client.send({
      method: 'POST',
      path: `${API}/webhooks/stripe`,
      headers: { 'content-type': 'application/json', 'stripe-signature': stripeSignature(body, this.options.webhookSecret!) },
      body,
      timeoutMs: this.options.timeoutMs,
    });
  }
}

/** Registers `count` users through the API (`<prefix>_<tag>_<i>`), signed in. */
export async function registerUsers(client: HttpClient, count: number, prefix = 'load'): Promise<Actor[]> {
  const actors: Actor[] = [];
  const tag = randomBytes(3).toString('hex');
  for (let i = 0; i < count; i++) {
    const username = `${prefix}_${tag}_${i}`;
    const res = await client.json('POST', '/api/v1/auth/register', { username, email: `${username}@example.test`, password: 'load-test-password' });
    if (res.status !== 201) throw new Error(`register answered ${res.status}: ${res.text.slice(0, 300)}`);
    const body = res.body as { user: { id: string }; access_token: string };
    actors.push({ id: body.user.id, username, accessToken: body.access_token });
  }
  return actors;
}

export interface RunOptions {
  concurrency: number;
  /** Keeps going while this holds (checked before each action). */
  while: () => boolean;
  /** Called after each action, e.g. to trigger a fault after N of them. */
  after?: (outcome: Outcome, index: number) => void | Promise<void>;
}

/** Runs the workload on `concurrency` lanes, each one action after another. */
export async function drive(workload: MixedWorkload, options: RunOptions): Promise<void> {
  let index = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (options.while()) {
        const outcome = await workload.step();
        await options.after?.(outcome, index++);
      }
    }),
  );
}

export interface Summary {
  requests: number;
  byStatus: Record<string, number>;
  byKind: Record<string, Record<string, number>>;
  p50: number;
  p99: number;
  max: number;
  serverErrors: number;
  noAnswer: number;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export function summarize(outcomes: Outcome[]): Summary {
  const byStatus: Record<string, number> = {};
  const byKind: Record<string, Record<string, number>> = {};
  for (const o of outcomes) {
    const status = String(o.status);
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    byKind[o.kind] ??= {};
    byKind[o.kind][status] = (byKind[o.kind][status] ?? 0) + 1;
  }
  const latencies = outcomes.map((o) => o.ms).sort((a, b) => a - b);
  return {
    requests: outcomes.length,
    byStatus,
    byKind,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? 0,
    serverErrors: outcomes.filter((o) => o.status >= 500).length,
    noAnswer: outcomes.filter((o) => o.status === 0).length,
  };
}
