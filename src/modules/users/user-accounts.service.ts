import { Injectable } from '@nestjs/common';
import { raw } from '@mikro-orm/core';
import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
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
 * Sign-up and sign-in (auth, Google sign-in, the queue dashboard's login, password confirmations): creating an account,
 * finding it by login, email or id, with its password hash to confirm a password, which usernames are taken.
 */
@Injectable()
export class UserAccountsService {
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
}
