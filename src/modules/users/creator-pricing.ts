import { User } from './entities/user.entity';

/**
 * What setting a creator's subscription price involves beyond the column: billing implements it (a Stripe product
 * and price) and provides it under `CREATOR_PRICING`. Users only know this interface, so billing may depend on
 * users without a module cycle.
 */
export interface CreatorPricing {
  /** Sets `user.subscriptionPriceCents` (null: no subscriptions) and the provider's references; the caller flushes. */
  setPrice(user: User, cents: number | null): Promise<void>;
}

export const CREATOR_PRICING = Symbol('CreatorPricing');
