import { readSql } from '@/common/database/request-context';
import { raw } from '@mikro-orm/core';
import { EntityRepository } from '@mikro-orm/postgresql';
import type { OwnProfileFields } from './dto/user.response';
import { User } from './entities/user.entity';

/** The own profile's columns, named as the entity's properties. */
const OWN_PROFILE_COLUMNS = `id, username, display_name as "displayName", bio, avatar_url as "avatarUrl", cover_url as "coverUrl", verified,
  subscription_price_cents as "subscriptionPriceCents", currency, created_at as "createdAt", followers_count as "followersCount",
  following_count as "followingCount", posts_count as "postsCount", email, email_verified as "emailVerified", role, dm_policy as "dmPolicy"`;

export class UsersRepository extends EntityRepository<User> {
  /** An active account's following count, read without an entity (the home timeline picks its plan by it); null if none. */
  async activeFollowingCount(userId: string): Promise<number | null> {
    const [row] = await readSql<{ n: number }[]>(this.getEntityManager(), 'select following_count as n from users where id = ? and suspended_at is null', [userId]);
    return row ? row.n : null;
  }

  /**
   * An active account's own profile as a plain row (`GET /me`, every signed-in client's first call): one statement
   * straight on the pool, no entity, identity map or request fork. Null if there is no such active account.
   */
  async findOwnProfile(userId: string): Promise<OwnProfileFields | null> {
    const [row] = await readSql<OwnProfileFields[]>(this.getEntityManager(), `select ${OWN_PROFILE_COLUMNS} from users where id = ? and suspended_at is null`, [userId]);
    // The driver answers timestamps as strings (MikroORM's type parsers); the entity's `createdAt` is a Date.
    return row ? { ...row, createdAt: new Date(row.createdAt) } : null;
  }

  /** Usernames are unique case-insensitively (`users_username_lower_unique`); this lookup uses that index. */
  findByUsernameInsensitive(username: string): Promise<User | null> {
    return this.findOne({ [raw('lower(username)')]: username.toLowerCase() });
  }

  /** `email` must already be normalised (trimmed, lower-cased) as it is stored. */
  findByEmail(email: string): Promise<User | null> {
    return this.findOne({ email });
  }

  /** A user by username (any case) or by normalised email, with the lazy `passwordHash` loaded, for sign-in. */
  findForLogin(login: string): Promise<User | null> {
    const value = login.trim().toLowerCase();
    return this.findOne(
      { $or: [{ [raw('lower(username)')]: value }, { email: value }] },
      { populate: ['passwordHash'] },
    );
  }

  /** Active users whose lower-cased username is one of `usernames` (already lower-cased), over the lower() index. */
  findActiveByLowerUsernames(usernames: string[]): Promise<User[]> {
    return this.find({ [raw('lower(username)')]: { $in: usernames }, suspendedAt: null });
  }
}
