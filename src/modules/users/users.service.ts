import { Inject, Injectable, Optional } from '@nestjs/common';
import { raw } from '@mikro-orm/core';
import { EntityManager, UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import { AuthUser } from '@/common/auth/auth-user';
import { MediaService } from '@/modules/media/media.service';
import { CREATOR_PRICING, CreatorPricing } from './creator-pricing';
import { OwnUserResponse, toOwnUserResponse } from './dto/user.response';
import { UpdateMeDto } from './dto/update-me.dto';
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

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly media: MediaService,
    /** Billing's (Stripe product and price); absent, the price is only stored. */
    @Optional() @Inject(CREATOR_PRICING) private readonly pricing?: CreatorPricing,
  ) {}

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

  async getActive(userId: string): Promise<User> {
    const user = await this.users.findOne({ id: userId, suspendedAt: null });
    if (!user) throw UsersErrors.notFound();
    return user;
  }

  /**
   * Any account by username, suspended ones included (for moderation). With `em`, loaded into that entity manager,
   * so that a moderator's change to it commits in the caller's transaction.
   */
  async getByUsername(username: string, em?: EntityManager): Promise<User> {
    const repository = em ? em.getRepository(User) : this.users;
    const user = await repository.findByUsernameInsensitive(username);
    if (!user) throw UsersErrors.notFound();
    return user;
  }

  /** Any account by id, suspended ones included, in `em` (moderation of a reported account). */
  async getById(em: EntityManager, userId: string): Promise<User> {
    const user = await em.findOne(User, { id: userId });
    if (!user) throw UsersErrors.notFound();
    return user;
  }

  /** Flushes changes made to users loaded in this request. */
  save(): Promise<void> {
    return this.users.getEntityManager().flush();
  }

  async getWithPassword(userId: string): Promise<User> {
    const user = await this.users.findOne({ id: userId, suspendedAt: null }, { populate: ['passwordHash'] });
    if (!user) throw UsersErrors.notFound();
    return user;
  }

  async getOwn(actor: AuthUser): Promise<OwnUserResponse> {
    return toOwnUserResponse(await this.getActive(actor.id));
  }

  async updateOwn(actor: AuthUser, dto: UpdateMeDto): Promise<OwnUserResponse> {
    const user = await this.getActive(actor.id);
    if (dto.display_name !== undefined) user.displayName = dto.display_name;
    if (dto.bio !== undefined) user.bio = dto.bio;
    await this.applyProfileImages(user, dto);
    // Last: nothing is created at Stripe for a request that fails validation.
    if (dto.subscription_price_cents !== undefined) await this.applyPrice(user, dto.subscription_price_cents);
    await this.users.getEntityManager().flush();
    return toOwnUserResponse(user);
  }

  private async applyPrice(user: User, cents: number | null): Promise<void> {
    if (this.pricing) await this.pricing.setPrice(user, cents);
    else user.subscriptionPriceCents = cents;
  }

  private async applyProfileImages(user: User, dto: UpdateMeDto): Promise<void> {
    for (const [field, media, url] of [
      ['avatar_media_id', 'avatarMedia', 'avatarUrl'],
      ['cover_media_id', 'coverMedia', 'coverUrl'],
    ] as const) {
      const id = dto[field];
      if (id === undefined) continue;
      if (id === null) {
        user[media] = null;
        user[url] = null;
        continue;
      }
      const found = await this.media.findOwnReadyImage(user.id, id);
      if (!found) throw UsersErrors.mediaNotUsable(field);
      user[media] = this.users.getEntityManager().getReference('Media', id) as User['avatarMedia'];
      user[url] = found.url;
    }
  }

}
