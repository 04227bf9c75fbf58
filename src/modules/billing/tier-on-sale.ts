import { User } from '@/modules/users/entities/user.entity';
import { BillingErrors } from './billing.errors';
import { Tier } from './entities/tier.entity';
import { TiersRepository } from './repositories/tiers.repository';

/**
 * The tier a subscription, a change of tier or a gift buys: `tierId` when it is one of the creator's (`422` otherwise,
 * and for an archived one), else the creator's first non-archived tier (`422` when they have none: nothing on sale).
 * The first tier is brought in line with the profile's price first (docs/billing.md#tiers).
 */
export async function tierOnSale(tiers: TiersRepository, creator: User, tierId: string | undefined): Promise<Tier> {
  if (creator.subscriptionPriceCents != null) await tiers.alignFirstTier(creator.id, creator.subscriptionPriceCents, creator.currency);
  if (!tierId) {
    const [first] = await tiers.listActive(creator.id);
    if (!first) throw BillingErrors.noPrice();
    return first;
  }
  const tier = await tiers.findOne({ id: tierId, creatorId: creator.id });
  if (!tier) throw BillingErrors.unknownTier();
  if (tier.archived) throw BillingErrors.tierArchived();
  return tier;
}
