import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { Actor, MixedWorkload, Outcome } from '../load/workload';
import { HttpClient, RawRequest, RawResponse } from '../support/http-client';
import { sign, WEBHOOK_PATH } from '../support/stripe-events';
import { StripeObject } from '../support/stripe-server';
import { INBOX_WEIGHTS, InboxKind, InboxTraffic } from './inbox';

/**
 * The soak's traffic: the load test's mix (reads, posts, likes, follows) plus replies, reposts, premium posts to a
 * creator with subscribers, Stripe webhook deliveries, media uploads and the inbox (test/soak/inbox.ts: messages, paid
 * messages and their purchases, reads, unsends, mass messages), spread over both API processes.
 */

/** Sends each request to the next API process in turn. */
export class RoundRobinClient extends HttpClient {
  private readonly clients: HttpClient[];
  private next = 0;

  constructor(ports: number[], maxSockets: number) {
    super(ports[0], '127.0.0.1', 1);
    this.clients = ports.map((port) => new HttpClient(port, '127.0.0.1', maxSockets));
  }

  override send(req: RawRequest): Promise<RawResponse> {
    return this.clients[this.next++ % this.clients.length].send(req);
  }

  override close(): void {
    for (const client of this.clients) client.agent.destroy();
    this.agent.destroy();
  }
}

export type ExtraKind = 'reply' | 'repost' | 'premium_post' | 'media_upload' | 'stripe_event' | 'inbox';

export interface Stamped {
  kind: string;
  status: number;
  /** When the request was sent (ms since the epoch). */
  sentAt: number;
  /** When the answer came (ms since the epoch). */
  at: number;
  code?: string;
  /** The problem's `request_id`, to find the request in the kept logs. */
  requestId?: string;
  error?: string;
}

const EXTRA_WEIGHTS: Record<ExtraKind, number> = { reply: 8, repost: 5, premium_post: 2, media_upload: 4, stripe_event: 6, inbox: 12 };
const API = '/api/v1';
const TIMEOUT_MS = 30_000;
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)];
const pickWeighted = (weights: Record<InboxKind, number>): InboxKind => {
  const kinds = Object.keys(weights) as InboxKind[];
  let r = Math.random() * kinds.reduce((sum, k) => sum + weights[k], 0);
  return kinds.find((k) => (r -= weights[k]) < 0) ?? kinds[0];
};

export interface SoakTrafficOptions {
  premiumCreator: Actor;
  /** Signed deliveries, duplicates and out-of-order ones included, sent in this order; then random repeats. */
  stripeDeliveries: StripeObject[];
  /** The inbox's traffic (conversations opened by its `prepare`). */
  inbox: InboxTraffic;
}

export class SoakTraffic {
  readonly outcomes: Stamped[] = [];
  readonly uploads = new Set<string>();
  readonly premiumPosts = new Set<string>();
  private readonly extraKinds = Object.keys(EXTRA_WEIGHTS) as ExtraKind[];
  private nextDelivery = 0;
  /** Deliveries answered other than 200: Stripe sends those again, and so does `deliverRest`. */
  private readonly failedDeliveries: StripeObject[] = [];
  private image?: Buffer;

  constructor(
    private readonly client: HttpClient,
    readonly workload: MixedWorkload,
    private readonly actors: Actor[],
    private readonly options: SoakTrafficOptions,
  ) {}

  /** A small PNG with noise, so that every upload costs the media worker real work. */
  async prepare(): Promise<void> {
    this.image = await sharp({ create: { width: 96, height: 96, channels: 3, background: '#000', noise: { type: 'gaussian', mean: 128, sigma: 60 } } })
      .png()
      .toBuffer();
  }

  /** Runs `lanes` lanes, each one request after another, while `running()` holds. */
  async drive(lanes: number, running: () => boolean): Promise<void> {
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        while (running()) await this.step();
      }),
    );
  }

  private async step(): Promise<void> {
    // Three in ten from the soak's own kinds, the rest from the load test's mix.
    const sentAt = Date.now();
    if (Math.random() >= 0.3) {
      const outcome: Outcome = await this.workload.step();
      this.outcomes.push({ kind: outcome.kind, status: outcome.status, sentAt, at: Date.now(), code: outcome.code, requestId: outcome.requestId, error: outcome.error });
      return;
    }
    const total = this.extraKinds.reduce((sum, k) => sum + EXTRA_WEIGHTS[k], 0);
    let r = Math.random() * total;
    const kind = this.extraKinds.find((k) => (r -= EXTRA_WEIGHTS[k]) < 0) ?? 'reply';
    let res: RawResponse | undefined;
    let error: string | undefined;
    let shown: string = kind;
    try {
      if (kind === 'inbox') {
        const step = await this.options.inbox.step(pickWeighted(INBOX_WEIGHTS));
        shown = step.kind;
        res = step.res;
      } else res = await this.extra(kind);
    } catch (e) {
      error = (e as Error).message;
    }
    const status = res?.status ?? 0;
    const problem = status >= 400 ? (res?.body as { code?: string; request_id?: string } | undefined) : undefined;
    this.outcomes.push({ kind: shown, status, sentAt, at: Date.now(), code: problem?.code, requestId: problem?.request_id, error });
  }

  private somePost(): string | undefined {
    const ids = [...this.workload.posts.keys()];
    return ids.length ? pick(ids) : undefined;
  }

  private async extra(kind: Exclude<ExtraKind, 'inbox'>): Promise<RawResponse | undefined> {
    const actor = pick(this.actors);
    switch (kind) {
      case 'reply': {
        const parent = this.somePost();
        if (!parent) return undefined;
        const res = await this.client.json('POST', `${API}/posts`, { content: `reply ${randomBytes(4).toString('hex')}`, reply_to_id: parent }, actor.accessToken, {
          timeoutMs: TIMEOUT_MS,
        });
        if (res.status === 201) this.workload.posts.set((res.body as { id: string }).id, actor.id);
        return res;
      }
      case 'repost': {
        const post = this.somePost();
        if (!post) return undefined;
        return this.client.json('POST', `${API}/posts/${post}/repost`, undefined, actor.accessToken, { timeoutMs: TIMEOUT_MS });
      }
      case 'premium_post': {
        const creator = this.options.premiumCreator;
        const res = await this.client.json('POST', `${API}/posts`, { content: `for subscribers ${randomBytes(4).toString('hex')}`, is_premium: true }, creator.accessToken, {
          timeoutMs: TIMEOUT_MS,
        });
        if (res.status === 201) this.premiumPosts.add((res.body as { id: string }).id);
        return res;
      }
      case 'media_upload': {
        const boundary = `soak${randomBytes(8).toString('hex')}`;
        const body = Buffer.concat([
          Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="soak.png"\r\nContent-Type: application/octet-stream\r\n\r\n`),
          this.image!,
          Buffer.from(`\r\n--${boundary}--\r\n`),
        ]);
        const res = await this.client.send({
          method: 'POST',
          path: `${API}/media`,
          headers: { authorization: `Bearer ${actor.accessToken}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
          body,
          timeoutMs: TIMEOUT_MS,
        });
        if (res.status === 202 || res.status === 201) this.uploads.add((res.body as { id: string }).id);
        return res;
      }
      case 'stripe_event': {
        const { stripeDeliveries } = this.options;
        if (!stripeDeliveries.length) return undefined;
        const event = this.nextDelivery < stripeDeliveries.length ? stripeDeliveries[this.nextDelivery++] : pick(stripeDeliveries);
        const res = await this.deliver(event).catch((error: Error) => {
          this.failedDeliveries.push(event);
          throw error;
        });
        if (res.status !== 200) this.failedDeliveries.push(event);
        return res;
      }
    }
  }

  private deliver(event: StripeObject): Promise<RawResponse> {
    const { payload, signature } = sign(event);
    return this.client.send({
      method: 'POST',
      path: WEBHOOK_PATH,
      headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': signature },
      body: payload,
      timeoutMs: TIMEOUT_MS,
    });
  }

  /** Deliveries not sent yet (a short run) or refused (Stripe retries those): sent now, each until it is taken. */
  async deliverRest(): Promise<number> {
    const rest = [...this.options.stripeDeliveries.slice(this.nextDelivery), ...this.failedDeliveries.splice(0)];
    this.nextDelivery = this.options.stripeDeliveries.length;
    for (const event of rest) {
      for (let attempt = 0; attempt < 20; attempt++) {
        const res = await this.deliver(event).catch(() => undefined);
        if (res?.status === 200) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    return rest.length;
  }
}
