import { Injectable } from '@nestjs/common';
import { raw } from '@mikro-orm/core';
import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import type { OwnProfileFields } from './dto/user.response';
import { User } from './entities/user.entity';
import { normalizeEmail } from './user-identity';
import { UsersErrors } from './users.errors';
import { UsersRepository } from './users.repository';

export interface NewUser {
  username: string;
  email: string;
  passwordHash: string | null;
  displayName?: string | null;
  verified?: boolean;
  /** Google sign-up takes Google's word; a registration starts unverified. */
  emailVerified?: boolean;
}

/** A deleted account's username is given out again after this long. */
export const USERNAME_RESERVED_DAYS = 30;

/**
 * The `users` table's writer (with UserLifecycleService for the account lifecycle): accounts are created, changed and
 * counted here, whichever feature causes it (auth, admin, posts, social, billing). Methods taking an `em` run in the
 * caller's transaction, so a counter moves with the row that counts it. See docs/module-boundaries.md.
 */
@Injectable()
export class UsersService {
  constructor(private readonly users: UsersRepository) {}

  /** Creates an account inside the caller's transaction; a taken username or email is `409`. */
  async create(em: EntityManager, data: NewUser): Promise<User> {
    const email = normalizeEmail(data.email);
    await this.releaseReservedUsername(em, data.username);
    const existing = await em.getRepository(User).findOne(
      { $or: [{ email }, { [raw('lower(username)')]: data.username.toLowerCase() }] },
      { fields: ['id', 'email'] },
    );
    if (existing) throw UsersErrors.taken(existing.email === email ? 'email' : 'username');
    const user = em.create(User, {
      username: data.username,
      email,
      passwordHash: data.passwordHash,
      displayName: data.displayName ?? data.username,
      verified: data.verified ?? false,
      emailVerified: data.emailVerified ?? false,
    });
    try {
      await em.flush();
    } catch (error) {
      // Two registrations racing for the same name: the unique indexes decide.
      if (error instanceof UniqueConstraintViolationException) {
        throw UsersErrors.taken(/email/.test(error.message) ? 'email' : 'username');
      }
      throw error;
    }
    return user;
  }

  /**
   * A deleted account holds its username for USERNAME_RESERVED_DAYS; after that, the first registration that wants
   * the name renames the tombstone (`deleted_<id>`, outside the username pattern, so nobody can ask for it).
   */
  private async releaseReservedUsername(em: EntityManager, username: string): Promise<void> {
    await em.execute(
      `update users set username = 'deleted_' || replace(id::text, '-', '')
        where lower(username) = ? and deleted_at < now() - make_interval(days => ?)`,
      [username.toLowerCase(), USERNAME_RESERVED_DAYS],
    );
  }

  findForLogin(login: string): Promise<User | null> {
    return this.users.findForLogin(login);
  }

  /** An active (not suspended) account by username, any case. */
  async getActiveByUsername(username: string): Promise<User> {
    const user = await this.users.findByUsernameInsensitive(username);
    if (!user || user.suspendedAt) throw UsersErrors.notFound();
    return user;
  }

  /** Active accounts by lower-cased username (mentions). */
  findActiveByUsernames(usernames: string[]): Promise<User[]> {
    return usernames.length ? this.users.findActiveByLowerUsernames(usernames) : Promise.resolve([]);
  }

  /** Active accounts by id, for building lists. */
  findActiveByIds(ids: string[]): Promise<User[]> {
    return ids.length ? this.users.find({ id: { $in: ids }, suspendedAt: null }) : Promise.resolve([]);
  }

  /** How many accounts an active user follows (404 problem if suspended or gone): one column, no entity. */
  async activeFollowingCount(userId: string): Promise<number> {
    const count = await this.users.activeFollowingCount(userId);
    if (count === null) throw UsersErrors.notFound();
    return count;
  }

  /** An active account's own profile, read without an entity (nothing is written from it). */
  async getOwnProfile(userId: string): Promise<OwnProfileFields> {
    const profile = await this.users.findOwnProfile(userId);
    if (!profile) throw UsersErrors.notFound();
    return profile;
  }

  async getActive(userId: string): Promise<User> {
    const user = await this.users.findOne({ id: userId, suspendedAt: null });
    if (!user) throw UsersErrors.notFound();
    return user;
  }

  /**
   * Any account by username, suspended ones included (for moderation); a deleted one is gone for moderators too.
   * With `em`, loaded into that entity manager, so that a moderator's change to it commits in the caller's transaction.
   */
  async getByUsername(username: string, em?: EntityManager): Promise<User> {
    const repository = em ? em.getRepository(User) : this.users;
    const user = await repository.findByUsernameInsensitive(username);
    if (!user || user.deletedAt) throw UsersErrors.notFound();
    return user;
  }

  /** Any account by id, suspended ones included, in `em` (moderation of a reported account); deleted ones are gone. */
  async getById(em: EntityManager, userId: string): Promise<User> {
    const user = await em.findOne(User, { id: userId });
    if (!user || user.deletedAt) throw UsersErrors.notFound();
    return user;
  }

  /** Flushes changes the users module made to users loaded in this request (ProfileService). */
  save(): Promise<void> {
    return this.users.getEntityManager().flush();
  }

  async getWithPassword(userId: string): Promise<User> {
    const user = await this.users.findOne({ id: userId, suspendedAt: null }, { populate: ['passwordHash'] });
    if (!user) throw UsersErrors.notFound();
    return user;
  }

  /** A user by id, suspended or not; undefined when gone. */
  async findById(userId: string): Promise<User | undefined> {
    return (await this.users.getEntityManager().fork().findOne(User, { id: userId })) ?? undefined;
  }

  /** By normalised email, in the caller's transaction (Google sign-in links an existing account). */
  async findByEmail(em: EntityManager, email: string): Promise<User | null> {
    return em.getRepository(User).findByEmail(email);
  }

  /** Of `candidates`, the usernames taken case-insensitively (lower-cased), in the caller's transaction. */
  async takenUsernames(em: EntityManager, candidates: string[]): Promise<Set<string>> {
    const taken = await em
      .getRepository(User)
      .find({ [raw('lower(username)')]: { $in: candidates.map((c) => c.toLowerCase()) } }, { fields: ['username'] });
    return new Set(taken.map((user) => user.username.toLowerCase()));
  }

  /** How many of `ids` are accounts, in the caller's transaction. */
  countExisting(em: EntityManager, ids: string[]): Promise<number> {
    return em.count(User, { id: { $in: ids } });
  }

  /** The account holding a Stripe customer or product (none for a null id), in the caller's transaction. */
  async findIdByStripeRef(em: EntityManager, ref: { stripeCustomerId: string | null } | { stripeProductId: string | null }): Promise<string | undefined> {
    if (!Object.values(ref)[0]) return undefined;
    return (await em.findOne(User, ref, { fields: ['id'] }))?.id;
  }

  // Writes other features cause. Each changes only the columns it names, in one statement.

  /** Moderation (admin): the blue check, suspension and role. */
  /** A moderator's change to `user` (loaded in `em`), committed by the caller's transaction with its audit entry. */
  moderateIn(em: EntityManager, user: User, changes: Partial<Pick<User, 'verified' | 'suspendedAt' | 'role'>>): void {
    em.assign(user, changes);
  }

  async moderate(user: User, changes: Partial<Pick<User, 'verified' | 'suspendedAt' | 'role'>>): Promise<void> {
    this.users.getEntityManager().assign(user, changes);
    await this.save();
  }

  /**
   * Moves `posts_count` in the caller's transaction, as the statement that created or deleted the post: the row lock
   * of the increment serialises concurrent posts, so the counter stays exact; it never goes below zero.
   */
  async adjustPostsCount(em: EntityManager, userId: string, delta: 1 | -1): Promise<void> {
    await em.execute('update users set posts_count = greatest(posts_count + ?, 0) where id = ?', [delta, userId]);
  }

  /**
   * Account erasure: lowers one counter of many users at once (the other side of a deleted account's follows, or the
   * owners of reposts that went with its posts), in the caller's transaction. `ids` may repeat: each occurrence is one.
   */
  async lowerCounts(em: EntityManager, counter: 'followers_count' | 'following_count' | 'posts_count', ids: string[]): Promise<void> {
    if (!ids.length) return;
    const column = { followers_count: 'followers_count', following_count: 'following_count', posts_count: 'posts_count' }[counter];
    await em.execute(
      `update users u set ${column} = greatest(u.${column} - c.n, 0)
         from (select id, count(*)::int as n from unnest(?::uuid[]) as t(id) group by id) c where u.id = c.id`,
      // One array parameter (the query builder would spread a JS array into a list); ids are UUIDs from our rows.
      [`{${ids.join(',')}}`],
    );
  }

  /**
   * Moves `following_count` of the follower and `followers_count` of the followed in one statement, in the caller's
   * transaction (the one that inserted or deleted the follow). Both rows are locked first, sorted by id, so a follow
   * and the reverse follow at the same moment cannot deadlock: an UPDATE alone visits rows in whatever order its plan
   * (a sequential scan over tuples that earlier updates moved) gives, which differs between transactions.
   */
  async adjustFollowCounts(em: EntityManager, followerId: string, followingId: string, delta: 1 | -1): Promise<void> {
    await em.execute(
      `with locked as (select id from users where id in (?, ?) order by id for no key update)
       update users set following_count = greatest(following_count + case when users.id = ? then ? else 0 end, 0),
                        followers_count = greatest(followers_count + case when users.id = ? then ? else 0 end, 0)
         from locked where users.id = locked.id`,
      [followerId, followingId, followerId, delta, followingId, delta],
    );
  }

  /**
   * Billing's Stripe references. Each is stored only if none is yet (or, for the price, only while the amount is
   * still the one priced: a concurrent PATCH /me wins); racing requests keep whichever was stored first. The entity
   * passed is updated to what is stored.
   */
  async recordStripeCustomer(user: User, customerId: string): Promise<string> {
    const em = this.users.getEntityManager();
    await em.nativeUpdate(User, { id: user.id, stripeCustomerId: null }, { stripeCustomerId: customerId });
    const stored = await em.fork().findOneOrFail(User, { id: user.id }, { fields: ['stripeCustomerId'] });
    user.stripeCustomerId = stored.stripeCustomerId;
    return stored.stripeCustomerId!;
  }

  async recordStripeProduct(user: User, productId: string): Promise<void> {
    await this.users.getEntityManager().nativeUpdate(User, { id: user.id, stripeProductId: null }, { stripeProductId: productId });
    user.stripeProductId = productId;
  }

  async recordStripePrice(user: User, cents: number, priceId: string): Promise<void> {
    await this.users
      .getEntityManager()
      .nativeUpdate(User, { id: user.id, subscriptionPriceCents: cents, stripePriceId: null }, { stripePriceId: priceId });
    user.stripePriceId = priceId;
  }
}
