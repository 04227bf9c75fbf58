import { Inject, Injectable, Optional } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AuthUser } from '@/common/auth/auth-user';
import { OwnUserResponse, toOwnUserResponse } from './dto/user.response';
import { UpdateMeDto } from './dto/update-me.dto';
import { User } from './entities/user.entity';
import { CREATOR_PRICING, CreatorPricing, PROFILE_IMAGES, ProfileImages } from './users.ports';
import { UsersErrors } from './users.errors';
import { UsersService } from './users.service';

/**
 * `GET/PATCH /me`: the own profile, whose avatar and cover are media and whose price is billing's. Both come through
 * the ports in users.ports.ts, bound by the app root, so users depends on neither feature.
 */
@Injectable()
export class ProfileService {
  constructor(
    private readonly users: UsersService,
    private readonly em: EntityManager,
    @Inject(PROFILE_IMAGES) private readonly images: ProfileImages,
    /** Billing's (Stripe product and price); absent, the price is only stored. */
    @Optional() @Inject(CREATOR_PRICING) private readonly pricing?: CreatorPricing,
  ) {}

  async getOwn(actor: AuthUser): Promise<OwnUserResponse> {
    return toOwnUserResponse(await this.users.getOwnProfile(actor.id));
  }

  async updateOwn(actor: AuthUser, dto: UpdateMeDto): Promise<OwnUserResponse> {
    const user = await this.users.getActive(actor.id);
    if (dto.display_name !== undefined) user.displayName = dto.display_name;
    if (dto.bio !== undefined) user.bio = dto.bio;
    if (dto.dm_policy !== undefined) user.dmPolicy = dto.dm_policy;
    await this.applyProfileImages(user, dto);
    // Last: nothing is created at Stripe for a request that fails validation.
    if (dto.subscription_price_cents !== undefined) await this.applyPrice(user, dto.subscription_price_cents);
    await this.em.flush();
    return toOwnUserResponse(user);
  }

  /**
   * A new amount gets a new price at billing (which keeps it); an unchanged one keeps its price, or gets one if it was
   * set without Stripe. The amount is stored only once billing accepted it.
   */
  private async applyPrice(user: User, cents: number | null): Promise<void> {
    if (this.pricing) await this.pricing.priceFor(user, cents);
    user.subscriptionPriceCents = cents;
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
      const found = await this.images.findOwnReadyImage(user.id, id);
      if (!found) throw UsersErrors.mediaNotUsable(field);
      user[media] = this.em.getReference('Media', id) as User['avatarMedia'];
      user[url] = found.url;
    }
  }
}
