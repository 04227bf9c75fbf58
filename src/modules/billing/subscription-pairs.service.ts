import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import Stripe from 'stripe';
import { UsersService } from '@/modules/users/users.service';
import { BillingProfilesRepository } from './repositories/billing-profiles.repository';
import { idOf, isUuid, pairFromMetadata, SubscriptionPair } from './stripe/stripe-objects';

/** Which two of our users a Stripe subscription is between: the sync's one question about users. */
@Injectable()
export class SubscriptionPairs {
  constructor(
    private readonly users: UsersService,
    private readonly profiles: BillingProfilesRepository,
  ) {}

  /** From the metadata checkout set, else the hints, else the customer and the creator's product; null when not ours. */
  async of(em: EntityManager, remote: Stripe.Subscription, hints: Partial<SubscriptionPair>): Promise<SubscriptionPair | null> {
    const meta = pairFromMetadata(remote.metadata);
    const subscriberId = meta.subscriberId ?? hints.subscriberId ?? (await this.profiles.userIdByRef(em, { customerId: idOf(remote.customer) }));
    const product = idOf(remote.items?.data?.[0]?.price?.product);
    const creatorId = meta.creatorId ?? hints.creatorId ?? (await this.profiles.userIdByRef(em, { productId: product }));
    if (!isUuid(subscriberId) || !isUuid(creatorId) || subscriberId === creatorId) return null;
    const found = await this.users.countExisting(em, [subscriberId, creatorId]);
    return found === 2 ? { subscriberId, creatorId } : null;
  }
}
