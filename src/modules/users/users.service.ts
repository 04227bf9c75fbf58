import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import type { OwnProfileFields } from './dto/user.response';
import { User } from './entities/user.entity';
import { UsersErrors } from './users.errors';
import { UsersRepository } from './users.repository';

/**
 * Users as other features look them up: active accounts by username or id, the own profile's row, follow counts.
 * The rest of the `users` table's writer is split by concern, all in this module: UserAccountsService (sign-up and
 * sign-in), UserLifecycleService (email, password reset, deletion), UserModerationService (admin and reports),
 * UserCountersService (the counters posts and social move). See docs/module-boundaries.md.
 */
@Injectable()
export class UsersService {
  constructor(private readonly users: UsersRepository) {}

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

  /** An active account by e-mail address (trimmed, lower-cased here as it is stored), or null (a gift's recipient). */
  async findActiveByEmail(email: string): Promise<User | null> {
    const user = await this.users.findByEmail(email.trim().toLowerCase());
    return user && !user.suspendedAt ? user : null;
  }

  async getActive(userId: string): Promise<User> {
    const user = await this.users.findOne({ id: userId, suspendedAt: null });
    if (!user) throw UsersErrors.notFound();
    return user;
  }

  /**
   * The profile's `subscription_price_cents`, as billing's first tier says (docs/billing.md#tiers): billing calls this
   * when the first tier's monthly price changes or it is archived or restored through `/me/tiers`.
   */
  async setSubscriptionPrice(userId: string, cents: number | null): Promise<void> {
    await this.users.nativeUpdate({ id: userId }, { subscriptionPriceCents: cents });
  }

  /** How many of `ids` are accounts, in the caller's transaction. */
  countExisting(em: EntityManager, ids: string[]): Promise<number> {
    return em.count(User, { id: { $in: ids } });
  }
}
