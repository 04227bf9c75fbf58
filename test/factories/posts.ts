import { randomBytes, randomUUID } from 'node:crypto';
import type { Response, Test } from 'supertest';
import { PostUnlock, PostUnlockStatus } from '@/modules/billing/entities/post-unlock.entity';
import { Subscription, SubscriptionStatus } from '@/modules/billing/entities/subscription.entity';
import { Media } from '@/modules/media/entities/media.entity';
import { Post, Visibility } from '@/modules/posts/entities/post.entity';
import { User } from '@/modules/users/entities/user.entity';
import type { TestApp } from '../support/app';
import { bearer, createSignedInUser, SignedInUser, TestUser } from './users';

export const API = '/api/v1';

/** A post as the API answers it (only what the tests read). */
export interface PostBody {
  id: string;
  author: { id: string; username: string; display_name: string | null; avatar_url: string | null; verified: boolean };
  content: string | null;
  content_html: string | null;
  reply_to_id: string | null;
  root_post_id: string | null;
  repost_of: PostBody | null;
  media: { id: string; url: string | null; preview_url: string | null }[];
  likes_count: number;
  replies_count: number;
  reposts_count: number;
  visibility: Visibility;
  is_premium: boolean;
  price_cents: number | null;
  locked: boolean;
  preview: string | null;
  liked: boolean;
  reposted: boolean;
  created_at: string;
  edited_at: string | null;
}

export interface PageBody<T = PostBody> {
  data: T[];
  next_cursor: string | null;
}

/** The keys of a post object, as the contract lists them (plus `currency`, money's companion everywhere). */
export const POST_KEYS = [
  'id',
  'author',
  'content',
  'content_html',
  'reply_to_id',
  'root_post_id',
  'repost_of',
  'media',
  'likes_count',
  'replies_count',
  'reposts_count',
  'visibility',
  'is_premium',
  'price_cents',
  'min_tier_id',
  'currency',
  'locked',
  'preview',
  'liked',
  'reposted',
  'created_at',
  'edited_at',
].sort();

/** supertest calls under `/api/v1`, signed in as `user` (anonymous without one). */
export interface ApiClient {
  get(path: string): Test;
  post(path: string, body?: object): Test;
  patch(path: string, body?: object): Test;
  delete(path: string): Test;
}

export function as(t: TestApp, user?: { accessToken: string }): ApiClient {
  const auth = (test: Test) => (user ? test.set('Authorization', bearer(user.accessToken)) : test);
  return {
    get: (path) => auth(t.http.get(`${API}${path}`)),
    post: (path, body) => auth(t.http.post(`${API}${path}`)).send(body ?? {}),
    patch: (path, body) => auth(t.http.patch(`${API}${path}`)).send(body ?? {}),
    delete: (path) => auth(t.http.delete(`${API}${path}`)),
  };
}

export type NewPost = {
  content?: string;
  reply_to_id?: string;
  visibility?: Visibility;
  is_premium?: boolean;
  price_cents?: number;
  media_ids?: string[];
  preview?: string;
  min_tier_id?: string;
};

/** A unique word, handy as content or as a hashtag nobody else uses. */
export function uniqueWord(prefix = 'w'): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

/** Creates a post through the API (so it is rendered, tagged and counted like a real one). */
export async function createPost(t: TestApp, author: SignedInUser, body: NewPost | string = {}): Promise<PostBody> {
  const dto = typeof body === 'string' ? { content: body } : { content: `post ${uniqueWord()}`, ...body };
  const res = await as(t, author).post('/posts', dto);
  if (res.status !== 201) throw new Error(`POST /posts answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body as PostBody;
}

export async function follow(t: TestApp, follower: SignedInUser, target: TestUser): Promise<void> {
  const res = await as(t, follower).post(`/users/${target.username}/follow`);
  if (res.status !== 200) throw new Error(`follow answered ${res.status}: ${JSON.stringify(res.body)}`);
}

export async function signedInUsers(t: TestApp, count: number): Promise<SignedInUser[]> {
  return Promise.all(Array.from({ length: count }, () => createSignedInUser(t)));
}

/** Billing is not built yet: a subscription row as the Stripe webhook would leave it. */
export async function subscribe(
  t: TestApp,
  subscriber: TestUser,
  creator: TestUser,
  fields: { status?: SubscriptionStatus; currentPeriodEnd?: Date; priceCents?: number; cancelAtPeriodEnd?: boolean; tierId?: string } = {},
): Promise<Subscription> {
  const em = t.em();
  const now = Date.now();
  const subscription = em.create(Subscription, {
    subscriber: em.getReference(User, subscriber.id),
    creator: em.getReference(User, creator.id),
    status: fields.status ?? 'active',
    priceCents: fields.priceCents ?? 500,
    currentPeriodStart: new Date(now - 20 * 86_400_000),
    currentPeriodEnd: fields.currentPeriodEnd ?? new Date(now + 10 * 86_400_000),
    cancelAtPeriodEnd: fields.cancelAtPeriodEnd ?? false,
    tierId: fields.tierId ?? null,
  });
  await em.flush();
  return subscription;
}

/** A pay-per-view purchase row, as the Stripe webhook would leave it. */
export async function unlock(t: TestApp, buyer: TestUser, post: { id: string; price_cents?: number | null }, status: PostUnlockStatus = 'paid'): Promise<void> {
  const em = t.em();
  em.create(PostUnlock, {
    user: em.getReference(User, buyer.id),
    post: em.getReference(Post, post.id),
    priceCents: post.price_cents ?? 500,
    status,
    refundedAt: status === 'refunded' ? new Date() : null,
  });
  await em.flush();
}

/** An upload as the media worker would leave it (processed image unless `fields` say otherwise); attached to `postId` when given. */
export async function createMedia(t: TestApp, owner: TestUser, postId?: string, fields: Partial<Pick<Media, 'type' | 'status'>> = {}): Promise<Media> {
  const em = t.em();
  const key = `test/${randomUUID()}.jpg`;
  const media = em.create(Media, {
    user: em.getReference(User, owner.id),
    post: postId ? em.getReference(Post, postId) : null,
    position: postId ? 0 : null,
    type: fields.type ?? 'image',
    status: fields.status ?? 'ready',
    url: `https://media.example.test/${key}`,
    storageKey: key,
    previewKey: `${key}.preview.webp`,
    mimeType: 'image/jpeg',
    width: 640,
    height: 480,
    size: 1234,
  });
  await em.flush();
  return media;
}

export async function suspend(t: TestApp, user: TestUser): Promise<void> {
  await t.em().nativeUpdate(User, { id: user.id }, { suspendedAt: new Date() });
}

export function ids(page: { data: { id: string }[] }): string[] {
  return page.data.map((p) => p.id);
}

/**
 * Every item of a list from the newest down to (and including) items created at `since`: walks the pages
 * (limit 100), so posts other suites create meanwhile on shared lists (the public timeline) cannot push the
 * items under test off the first page.
 */
export async function scan(client: ApiClient, path: string, since: string): Promise<PostBody[]> {
  const items: PostBody[] = [];
  let cursor: string | null = null;
  const sep = path.includes('?') ? '&' : '?';
  for (let page = 0; page < 100; page++) {
    const res: Response = await client.get(`${path}${sep}limit=100${cursor ? `&cursor=${cursor}` : ''}`);
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    const body = res.body as PageBody;
    items.push(...body.data);
    cursor = body.next_cursor;
    const last = body.data[body.data.length - 1];
    if (!cursor || (last && last.created_at < since)) return items;
  }
  throw new Error(`GET ${path}: more than 100 pages`);
}

/** All pages of a list, following `next_cursor` with `limit`. */
export async function allPages<T = PostBody>(client: ApiClient, path: string, limit: number): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | null = null;
  const sep = path.includes('?') ? '&' : '?';
  do {
    const res: Response = await client.get(`${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
    pages.push((res.body as PageBody<T>).data);
    cursor = (res.body as PageBody<T>).next_cursor;
    if (pages.length > 200) throw new Error(`GET ${path}: more than 200 pages`);
  } while (cursor);
  return pages;
}
