import { User } from './entities/user.entity';

/**
 * What users need from features that depend on users themselves. Users defines the interfaces and the tokens; the
 * features implement them and the app root binds them (`UsersModule.forRoot`), so users imports neither module and
 * no module cycle, `forwardRef` or global provider is needed. See docs/module-boundaries.md.
 */

/** Setting a creator's subscription price beyond the column: billing implements it (a Stripe product and price). */
export interface CreatorPricing {
  /**
   * Readies the provider's price for `cents` a month from `creator` (created when needed and kept by the provider's
   * module; none while no provider is configured), before users stores the amount: a refusal (`422`) stores nothing.
   * `null`: the creator stops taking subscriptions at that price (billing archives the first tier).
   */
  priceFor(creator: User, cents: number | null): Promise<void>;
}

export const CREATOR_PRICING = Symbol('CreatorPricing');

/** An image a user may take as avatar or cover: media implements it. */
export interface ProfileImages {
  /** The user's own processed image with this id and its URL, or null when it is not one. */
  findOwnReadyImage(userId: string, mediaId: string): Promise<{ id: string; url: string } | null>;
}

export const PROFILE_IMAGES = Symbol('ProfileImages');
