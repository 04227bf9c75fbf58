import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { User } from './entities/user.entity';
import { UsersErrors } from './users.errors';
import { UsersRepository } from './users.repository';

/** Moderation (admin, reports): any account, suspended ones included, and the blue check, suspension and role. */
@Injectable()
export class UserModerationService {
  constructor(private readonly users: UsersRepository) {}

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

  /** A moderator's change to `user` (loaded in `em`), committed by the caller's transaction with its audit entry. */
  moderateIn(em: EntityManager, user: User, changes: Partial<Pick<User, 'verified' | 'suspendedAt' | 'role'>>): void {
    em.assign(user, changes);
  }
}
