import { Injectable } from '@nestjs/common';
import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { User } from './entities/user.entity';
import { normalizeEmail } from './user-identity';
import { UsersErrors } from './users.errors';

/** The address a deleted account keeps: unique, undeliverable (`.invalid` is reserved), and nobody's. */
export function tombstoneEmail(userId: string): string {
  return `deleted-${userId}@deleted.invalid`;
}

/** The users-table side of the account lifecycle: verified email, email change, password reset, deletion. */
@Injectable()
export class UserLifecycleService {
  /** An active account by its (normalised) email, or null. */
  findActiveByEmail(em: EntityManager, email: string): Promise<User | null> {
    return em.findOne(User, { email: normalizeEmail(email), suspendedAt: null });
  }

  /** Whether another account already uses this address. */
  async emailTaken(em: EntityManager, email: string, exceptUserId?: string): Promise<boolean> {
    const found = await em.findOne(User, { email: normalizeEmail(email) }, { fields: ['id'] });
    return !!found && found.id !== exceptUserId;
  }

  /**
   * Marks `email` verified for the user: their current address, or the new one of an email change (which becomes
   * `email`). Answers null when the account is gone or no longer has the address the token was for.
   */
  async confirmEmail(em: EntityManager, userId: string, email: string, change: boolean): Promise<User | null> {
    const user = await em.findOne(User, { id: userId, suspendedAt: null });
    if (!user) return null;
    if (!change && user.email !== email) return null;
    if (change && user.email !== email) {
      if (await this.emailTaken(em, email, userId)) throw UsersErrors.taken('email');
      user.email = email;
    }
    user.emailVerified = true;
    try {
      await em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw UsersErrors.taken('email');
      throw error;
    }
    return user;
  }

  async setPassword(em: EntityManager, userId: string, passwordHash: string): Promise<void> {
    await em.nativeUpdate(User, { id: userId }, { passwordHash });
  }

  /**
   * Deactivates an account for deletion, in the caller's transaction: hidden everywhere (suspended), no password,
   * no address, no profile. The username stays, reserved. Answers false when it was already deleted.
   */
  async deactivate(em: EntityManager, userId: string): Promise<boolean> {
    const now = new Date();
    const changed = await em.nativeUpdate(User, { id: userId, deletedAt: null }, {
      deletedAt: now,
      suspendedAt: now,
      passwordHash: null,
      email: tombstoneEmail(userId),
      emailVerified: false,
      displayName: null,
      bio: null,
      avatarUrl: null,
      coverUrl: null,
      avatarMedia: null,
      coverMedia: null,
    });
    return changed > 0;
  }

  /** A deleted account's tombstone, for the erasure worker (null when there is none). */
  findDeleted(em: EntityManager, userId: string): Promise<User | null> {
    return em.findOne(User, { id: userId, deletedAt: { $ne: null } });
  }

  /** The tombstone's last personal data: its price (billing forgets its own). Counts are zeroed as nothing is left to count. */
  async scrubTombstone(em: EntityManager, userId: string): Promise<void> {
    await em.nativeUpdate(User, { id: userId, deletedAt: { $ne: null } }, {
      subscriptionPriceCents: null,
      followersCount: 0,
      followingCount: 0,
      postsCount: 0,
    });
  }
}
