import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import {
  CheckConstraintViolationException,
  EntityManager,
  MikroORM,
  UniqueConstraintViolationException,
  wrap,
} from '@mikro-orm/postgresql';
import { loadConfig } from '@/common/config/load-config';
import { buildOrmOptions } from '@/common/database/orm-options';
import { IdempotencyKey } from '@/common/idempotency/idempotency-key.entity';
import { OutboxEvent } from '@/common/outbox/outbox-event.entity';
import { OutboxReceipt } from '@/common/outbox/outbox-receipt.entity';
import { Session } from '@/modules/auth/entities/session.entity';
import { UserOAuthIdentity } from '@/modules/auth/entities/user-oauth-identity.entity';
import { PostUnlock } from '@/modules/billing/entities/post-unlock.entity';
import { StripeEvent } from '@/modules/billing/entities/stripe-event.entity';
import { Subscription } from '@/modules/billing/entities/subscription.entity';
import { Media } from '@/modules/media/entities/media.entity';
import { Notification } from '@/modules/notifications/entities/notification.entity';
import { Hashtag } from '@/modules/posts/entities/hashtag.entity';
import { Like } from '@/modules/posts/entities/like.entity';
import { PostHashtag } from '@/modules/posts/entities/post-hashtag.entity';
import { Post } from '@/modules/posts/entities/post.entity';
import { ReferralCode } from '@/modules/referrals/entities/referral-code.entity';
import { Referral } from '@/modules/referrals/entities/referral.entity';
import { Block } from '@/modules/social/entities/block.entity';
import { Follow } from '@/modules/social/entities/follow.entity';
import { Mute } from '@/modules/social/entities/mute.entity';
import { User } from '@/modules/users/entities/user.entity';

/** The index names of the original design (DATA-MODEL.md), by table. */
const ORIGINAL_INDEXES: [table: string, index: string][] = [
  ['posts', 'idx_posts_user_id'],
  ['posts', 'idx_posts_created_at'],
  ['posts', 'idx_posts_reply_to_id'],
  ['follows', 'idx_follows_follower_id'],
  ['follows', 'idx_follows_following_id'],
  ['likes', 'idx_likes_user_id'],
  ['likes', 'idx_likes_post_id'],
  ['notifications', 'idx_notifications_user_id'],
  ['notifications', 'idx_notifications_read'],
];

const suffix = () => randomBytes(5).toString('hex');

/** A user with a random username and email, so the suite can run again on the same database. */
function newUser(em: EntityManager, data: Partial<Pick<User, 'username' | 'passwordHash' | 'displayName'>> = {}): User {
  const username = data.username ?? `u_${suffix()}`;
  return em.create(User, { username, email: `${username.toLowerCase()}.${suffix()}@example.test`, ...data });
}

/** The migrated definition of an index, as PostgreSQL prints it. */
async function indexDefinition(client: Client, name: string): Promise<string | undefined> {
  const { rows } = await client.query<{ indexdef: string }>(
    'select indexdef from pg_indexes where schemaname = current_schema() and indexname = $1',
    [name],
  );
  return rows[0]?.indexdef;
}

describe('Database schema', () => {
  let orm: MikroORM;
  const em = () => orm.em.fork();

  beforeAll(async () => {
    orm = await MikroORM.init(buildOrmOptions(loadConfig(), process.env.DATABASE_URL!));
  });

  afterAll(async () => {
    await orm.close();
  });

  describe('entities and migrations', () => {
    it('agree: the schema diff from the entity metadata is empty', async () => {
      // Exact: no noise to tolerate. Checks are compared by expression, and enum-like checks by their items.
      const diff = await orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false });
      expect(diff.trim()).toBe('');
    });

    it('declare every partial, descending and expression index exactly as the migration creates it', async () => {
      // MikroORM compares expression indexes by name only, so each one is rebuilt from its entity declaration
      // inside a rolled-back transaction and PostgreSQL's own rendering of both is compared.
      const declared = Object.values(orm.getMetadata().getAll())
        .flatMap((meta) => [...meta.indexes, ...meta.uniques])
        .filter((index): index is { name: string; expression: string } => typeof index.expression === 'string');
      expect(declared.length).toBeGreaterThanOrEqual(20);

      const client = new Client({ connectionString: process.env.DATABASE_URL });
      await client.connect();
      const mismatches: { name: string; migrated?: string; declared?: string }[] = [];
      try {
        for (const { name, expression } of declared) {
          const migrated = await indexDefinition(client, name);
          if (!migrated) {
            mismatches.push({ name });
            continue;
          }
          await client.query('begin');
          try {
            await client.query(`drop index "${name}"`);
            await client.query(expression);
            const rebuilt = await indexDefinition(client, name);
            if (rebuilt !== migrated) mismatches.push({ name, migrated, declared: rebuilt });
          } finally {
            await client.query('rollback');
          }
        }
      } finally {
        await client.end();
      }
      expect(mismatches).toEqual([]);
    });

    it('keep every index of the original design', async () => {
      const rows: { tablename: string; indexname: string }[] = await em()
        .getConnection()
        .execute('select tablename, indexname from pg_indexes where schemaname = current_schema()');
      const present = rows.map((row) => [row.tablename, row.indexname]);
      expect(present).toEqual(expect.arrayContaining(ORIGINAL_INDEXES));
    });
  });

  describe('round trips', () => {
    it('stores users with their defaults, never serialises the password hash, and finds usernames in any case', async () => {
      const em1 = em();
      const user = newUser(em1, { username: `Ann_${suffix()}`, passwordHash: 'argon2-hash', displayName: 'Ann' });
      user.subscriptionPriceCents = 500;
      await em1.flush();
      const avatar = em1.create(Media, {
        user,
        type: 'image',
        url: `/media/files/${user.id}.webp`,
        storageKey: `avatars/${suffix()}`,
      });
      user.avatarMedia = wrap(avatar).toReference();
      await em1.flush();

      const users = em().getRepository(User);
      const found = await users.findByUsernameInsensitive(user.username.toUpperCase());
      expect(found).toMatchObject({
        id: user.id,
        email: user.email,
        displayName: 'Ann',
        role: 'user',
        verified: false,
        currency: 'usd',
        subscriptionPriceCents: 500,
        followersCount: 0,
        followingCount: 0,
        postsCount: 0,
        suspendedAt: null,
      });
      expect(found!.avatarMedia?.id).toBe(avatar.id);
      expect(found!.createdAt).toBeInstanceOf(Date);
      expect(found!.passwordHash).toBeUndefined(); // lazy: loaded only on request

      const forLogin = await em().getRepository(User).findForLogin(user.email.toUpperCase());
      expect(forLogin?.passwordHash).toBe('argon2-hash');
      expect(wrap(forLogin!).toObject()).not.toHaveProperty('passwordHash');
      expect(JSON.stringify(wrap(forLogin!).toObject())).not.toContain('argon2-hash');
      expect(await em().getRepository(User).findByEmail(user.email)).toMatchObject({ id: user.id });
    });

    it('stores posts, replies, reposts, likes and hashtags', async () => {
      const em1 = em();
      const author = newUser(em1);
      const fan = newUser(em1);
      const post = em1.create(Post, {
        author,
        content: 'hello #schema',
        contentHtml: '<p>hello</p>',
        metadata: { mentions: [], tags: ['schema'] },
        visibility: 'followers',
        isPremium: true,
        priceCents: 300,
        preview: 'a teaser',
      });
      const reply = em1.create(Post, { author: fan, content: 'a reply', replyTo: post, rootPost: post });
      const repost = em1.create(Post, { author: fan, content: '', repostOf: post });
      em1.create(Like, { user: fan, post });
      const tag = em1.create(Hashtag, { name: `schema${suffix()}` });
      em1.create(PostHashtag, { hashtag: tag, post, createdAt: post.createdAt });
      await em1.flush();

      const em2 = em();
      const found = await em2.getRepository(Post).findOneOrFail(post.id);
      expect(found).toMatchObject({
        content: 'hello #schema',
        contentHtml: '<p>hello</p>',
        metadata: { mentions: [], tags: ['schema'] },
        visibility: 'followers',
        isPremium: true,
        priceCents: 300,
        preview: 'a teaser',
        currency: 'usd',
        likesCount: 0,
        repliesCount: 0,
        repostsCount: 0,
        editedAt: null,
        deletedAt: null,
      });
      expect(found.author.id).toBe(author.id);
      expect((await em2.findOneOrFail(Post, reply.id)).replyTo?.id).toBe(post.id);
      expect((await em2.findOneOrFail(Post, reply.id)).rootPost?.id).toBe(post.id);
      expect((await em2.findOneOrFail(Post, repost.id)).repostOf?.id).toBe(post.id);
      expect(await em2.getRepository(Like).count({ post: post.id, user: fan.id })).toBe(1);
      expect(await em2.getRepository(Hashtag).findByName(tag.name)).toMatchObject({ id: tag.id });
      const tagged = await em2.getRepository(PostHashtag).findOneOrFail({ hashtag: tag.id, post: post.id });
      expect(tagged.createdAt.getTime()).toBe(post.createdAt.getTime());

      // `repostsCount` is the original design's `retweets_count` column.
      found.repostsCount = 1;
      await em2.flush();
      const [row] = await em2.getConnection().execute('select retweets_count from posts where id = ?', [post.id]);
      expect(row.retweets_count).toBe(1);
    });

    it('stores follows, blocks and mutes', async () => {
      const em1 = em();
      const [a, b] = [newUser(em1), newUser(em1)];
      em1.create(Follow, { follower: a, following: b });
      em1.create(Block, { blocker: b, blocked: a });
      em1.create(Mute, { muter: a, muted: b });
      await em1.flush();

      const em2 = em();
      expect((await em2.getRepository(Follow).findOneOrFail({ follower: a.id })).following.id).toBe(b.id);
      expect((await em2.getRepository(Block).findOneOrFail({ blocker: b.id })).blocked.id).toBe(a.id);
      expect((await em2.getRepository(Mute).findOneOrFail({ muter: a.id })).muted.id).toBe(b.id);
    });

    it('stores notifications', async () => {
      const em1 = em();
      const [to, from] = [newUser(em1), newUser(em1)];
      const post = em1.create(Post, { author: to, content: 'liked' });
      const notification = em1.create(Notification, {
        user: to,
        fromUser: from,
        type: 'like',
        post,
        dedupeKey: `like:${from.id}:${post.id}`,
      });
      await em1.flush();

      const found = await em().getRepository(Notification).findOneOrFail(notification.id);
      expect(found).toMatchObject({ type: 'like', read: false, dedupeKey: `like:${from.id}:${post.id}` });
      expect([found.user.id, found.fromUser?.id, found.post?.id]).toEqual([to.id, from.id, post.id]);
    });

    it('stores media', async () => {
      const em1 = em();
      const owner = newUser(em1);
      const post = em1.create(Post, { author: owner, content: 'with a picture' });
      const media = em1.create(Media, {
        user: owner,
        post,
        type: 'video',
        url: '/media/files/clip.mp4',
        storageKey: `videos/${suffix()}`,
        mimeType: 'video/mp4',
        width: 1280,
        height: 720,
        size: 5_000_000,
        altText: 'a clip',
        position: 0,
      });
      await em1.flush();

      const found = await em().getRepository(Media).findOneOrFail(media.id);
      expect(found).toMatchObject({
        type: 'video',
        status: 'processing',
        mimeType: 'video/mp4',
        width: 1280,
        height: 720,
        size: 5_000_000,
        altText: 'a clip',
        position: 0,
        blurhash: null,
      });
      expect([found.user.id, found.post?.id]).toEqual([owner.id, post.id]);
    });

    it('stores subscriptions, post unlocks and Stripe events', async () => {
      const em1 = em();
      const [creator, fan] = [newUser(em1), newUser(em1)];
      const post = em1.create(Post, { author: creator, content: 'pay to read', isPremium: true, priceCents: 900 });
      const periodEnd = new Date(Date.now() + 30 * 86_400_000);
      const subscription = em1.create(Subscription, {
        subscriber: fan,
        creator,
        status: 'active',
        priceCents: 500,
        stripeSubscriptionId: `sub_${suffix()}`,
        currentPeriodStart: new Date(),
        currentPeriodEnd: periodEnd,
      });
      const unlock = em1.create(PostUnlock, {
        user: fan,
        post,
        priceCents: 900,
        stripeCheckoutSessionId: `cs_${suffix()}`,
        stripePaymentIntentId: `pi_${suffix()}`,
      });
      const event = em1.create(StripeEvent, {
        stripeEventId: `evt_${suffix()}`,
        type: 'invoice.paid',
        payload: { id: 'evt', data: { object: { amount_paid: 500 } } },
        stripeCreatedAt: new Date(),
      });
      await em1.flush();

      const em2 = em();
      expect(await em2.getRepository(Subscription).findOneOrFail(subscription.id)).toMatchObject({
        status: 'active',
        priceCents: 500,
        currency: 'usd',
        cancelAtPeriodEnd: false,
        currentPeriodEnd: periodEnd,
        canceledAt: null,
        stripeStateAt: null,
      });
      expect(await em2.getRepository(PostUnlock).findOneOrFail(unlock.id)).toMatchObject({
        status: 'paid',
        priceCents: 900,
        currency: 'usd',
        refundedAt: null,
      });
      expect(await em2.getRepository(StripeEvent).findByStripeEventId(event.stripeEventId)).toMatchObject({
        id: event.id,
        type: 'invoice.paid',
        payload: { id: 'evt', data: { object: { amount_paid: 500 } } },
        attempts: 0,
        processedAt: null,
      });
    });

    it('stores sessions and OAuth identities', async () => {
      const em1 = em();
      const user = newUser(em1);
      const session = em1.create(Session, {
        user,
        token: `sha256-${suffix()}`,
        expiresAt: new Date(Date.now() + 86_400_000),
        userAgent: 'jest',
        ip: '127.0.0.1',
      });
      const identity = em1.create(UserOAuthIdentity, {
        user,
        provider: 'google',
        providerUserId: `g-${suffix()}`,
        email: user.email,
        accessToken: 'encrypted-access',
        refreshToken: 'encrypted-refresh',
      });
      await em1.flush();

      const em2 = em();
      const foundSession = await em2.getRepository(Session).findByTokenHash(session.token);
      expect(foundSession).toMatchObject({ id: session.id, userAgent: 'jest', ip: '127.0.0.1', revokedAt: null });
      const foundIdentity = await em2.getRepository(UserOAuthIdentity).findByProviderUserId('google', identity.providerUserId);
      expect(foundIdentity).toMatchObject({ id: identity.id, accessToken: 'encrypted-access', refreshToken: 'encrypted-refresh' });
      expect(wrap(foundIdentity!).toObject()).not.toHaveProperty('accessToken');
    });

    it('stores referral codes and referrals', async () => {
      const em1 = em();
      const [referrer, referred] = [newUser(em1), newUser(em1)];
      const code = em1.create(ReferralCode, { user: referrer, code: `CODE-${suffix()}`, maxUses: 5 });
      const referral = em1.create(Referral, { referralCode: code, referrer, referredUser: referred });
      await em1.flush();

      const em2 = em();
      expect(await em2.getRepository(ReferralCode).findByCode(code.code)).toMatchObject({
        id: code.id,
        usesCount: 0,
        maxUses: 5,
        expiresAt: null,
        deletedAt: null,
      });
      const found = await em2.getRepository(Referral).findOneOrFail(referral.id);
      expect([found.referralCode.id, found.referrer.id, found.referredUser.id]).toEqual([code.id, referrer.id, referred.id]);
    });

    it('stores outbox events and idempotency keys', async () => {
      const em1 = em();
      const user = newUser(em1);
      // Already handled: the suites sharing this database must not see them as work for the relay.
      const handled = { dispatchedAt: new Date(), handledAt: new Date() };
      const first = em1.create(OutboxEvent, { type: 'post.liked', payload: { postId: 'a' }, ...handled });
      const second = em1.create(OutboxEvent, { type: 'post.liked', payload: { postId: 'b' }, ...handled });
      em1.create(OutboxReceipt, { event: first, subscriber: 'notifications' });
      const key = em1.create(IdempotencyKey, {
        user,
        key: `idem-${suffix()}`,
        method: 'POST',
        path: '/api/v1/posts',
        requestHash: 'f'.repeat(64),
        responseStatus: 201,
        responseBody: { id: 'p1', content: 'hi' },
        expiresAt: new Date(Date.now() + 86_400_000),
      });
      await em1.flush();

      const em2 = em();
      const events = await em2.getRepository(OutboxEvent).find({ id: [first.id, second.id] }, { orderBy: { id: 'asc' } });
      expect(events.map((e) => e.payload)).toEqual([{ postId: 'a' }, { postId: 'b' }]);
      expect(events[0]).toMatchObject({ attempts: 0, handledAt: expect.any(Date), lastError: null });
      const receipts = await em2.getRepository(OutboxReceipt).find({ event: { $in: [first.id, second.id] } });
      expect(receipts.map((r) => [r.event.id, r.subscriber, r.handledAt instanceof Date])).toEqual([[first.id, 'notifications', true]]);
      expect(await em2.getRepository(IdempotencyKey).findByUserAndKey(user.id, key.key)).toMatchObject({
        id: key.id,
        responseStatus: 201,
        responseBody: { id: 'p1', content: 'hi' },
      });
    });
  });

  describe('rows that may exist once', () => {
    let creator: User;
    let fan: User;
    let post: Post;

    beforeAll(async () => {
      const em1 = em();
      creator = newUser(em1);
      fan = newUser(em1);
      post = em1.create(Post, { author: creator, content: 'once', isPremium: true, priceCents: 200 });
      await em1.flush();
    });

    /** The first insert succeeds; the second, in a fresh entity manager, hits `constraint`. */
    async function expectSecondRejected(
      constraint: string,
      first: (em: EntityManager) => void,
      second = first,
    ): Promise<void> {
      const em1 = em();
      first(em1);
      await em1.flush();
      const em2 = em();
      second(em2);
      const error = await em2.flush().then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(UniqueConstraintViolationException);
      expect(error).toMatchObject({ constraint });
    }

    it('a follow', () =>
      expectSecondRejected('follows_follower_id_following_id_unique', (e) => e.create(Follow, { follower: fan.id, following: creator.id })));

    it('a like', () => expectSecondRejected('likes_user_id_post_id_unique', (e) => e.create(Like, { user: fan.id, post: post.id })));

    it('a subscription per subscriber and creator', () =>
      expectSecondRejected('subscriptions_subscriber_id_creator_id_unique', (e) =>
        e.create(Subscription, { subscriber: fan.id, creator: creator.id, status: 'incomplete', priceCents: 500 }),
      ));

    it('an OAuth identity per provider account', () => {
      const providerUserId = `g-${suffix()}`;
      return expectSecondRejected(
        'user_oauth_identities_provider_provider_user_id_unique',
        (e) => e.create(UserOAuthIdentity, { user: fan.id, provider: 'google', providerUserId }),
        (e) => e.create(UserOAuthIdentity, { user: creator.id, provider: 'google', providerUserId }),
      );
    });

    it('a referral code', () => {
      const code = `C-${suffix()}`;
      return expectSecondRejected(
        'referral_codes_code_unique',
        (e) => e.create(ReferralCode, { user: creator.id, code }),
        (e) => e.create(ReferralCode, { user: fan.id, code }),
      );
    });

    it('a username, whatever its case', () => {
      const username = `Dup_${suffix()}`;
      return expectSecondRejected(
        'users_username_lower_unique',
        (e) => newUser(e, { username }),
        (e) => newUser(e, { username: username.toUpperCase() }),
      );
    });

    it('a post unlock per buyer and post', () =>
      expectSecondRejected('post_unlocks_user_id_post_id_unique', (e) => e.create(PostUnlock, { user: fan.id, post: post.id, priceCents: 200 })));

    it('a repost per user and post', () =>
      expectSecondRejected('posts_repost_unique', (e) => e.create(Post, { author: fan.id, content: '', repostOf: post.id })));
  });

  describe('check constraints', () => {
    /** Two fresh users are flushed first, so only what `build` adds can break `constraint`. */
    async function expectRejected(constraint: string, build: (em: EntityManager, a: User, b: User) => void): Promise<void> {
      const em1 = em();
      const [a, b] = [newUser(em1), newUser(em1)];
      await em1.flush();
      build(em1, a, b);
      const error = await em1.flush().then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(CheckConstraintViolationException);
      expect(error).toMatchObject({ constraint });
    }

    it('refuses following, blocking or muting yourself', async () => {
      await expectRejected('follows_not_self_check', (e, a) => e.create(Follow, { follower: a, following: a }));
      await expectRejected('blocks_not_self_check', (e, a) => e.create(Block, { blocker: a, blocked: a }));
      await expectRejected('mutes_not_self_check', (e, a) => e.create(Mute, { muter: a, muted: a }));
    });

    it('refuses prices outside 100-100000 cents', async () => {
      await expectRejected('posts_price_cents_check', (e, a) => e.create(Post, { author: a, content: 'x', priceCents: 99 }));
      await expectRejected('users_subscription_price_cents_check', (_, a) => {
        a.subscriptionPriceCents = 100_001;
      });
    });

    it('refuses values outside an enum-like column', async () => {
      await expectRejected('posts_visibility_check', (e, a) =>
        e.create(Post, { author: a, content: 'x', visibility: 'secret' as never }),
      );
      await expectRejected('users_role_check', (_, a) => {
        a.role = 'owner' as never;
      });
    });

    it('refuses a referral code used more often than allowed', () =>
      expectRejected('referral_codes_uses_check', (e, a) =>
        e.create(ReferralCode, { user: a, code: `C-${suffix()}`, maxUses: 1, usesCount: 2 }),
      ));
  });
});
