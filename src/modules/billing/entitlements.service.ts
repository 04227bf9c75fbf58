import { Injectable } from '@nestjs/common';
import { AppConfig } from '@/common/config/app-config';
import { PostUnlocksRepository } from './repositories/post-unlocks.repository';
import { SubscriptionsRepository } from './repositories/subscriptions.repository';

/**
 * Who has access to a creator's subscriber content: `active` or `trialing` (also while set to cancel at period end),
 * or `past_due` until `PAST_DUE_GRACE_DAYS` after the period ended. Everything else ends access at once.
 */
@Injectable()
export class EntitlementsService {
  constructor(
    private readonly subscriptions: SubscriptionsRepository,
    private readonly unlocks: PostUnlocksRepository,
    private readonly config: AppConfig,
  ) {}

  get graceDays(): number {
    return this.config.billing.pastDueGraceDays;
  }

  /** Of these creators, the ones `subscriberId` may see subscriber content of. One query for any number. */
  subscribedCreators(subscriberId: string, creatorIds: string[]): Promise<Set<string>> {
    return this.subscriptions.creatorsWithAccess(subscriberId, creatorIds, this.graceDays);
  }

  /** Of these pay-per-view posts, the ones `userId` bought. */
  unlockedPosts(userId: string, postIds: string[]): Promise<Set<string>> {
    return this.unlocks.unlockedAmong(userId, postIds);
  }

  async isSubscribed(subscriberId: string, creatorId: string): Promise<boolean> {
    return (await this.subscribedCreators(subscriberId, [creatorId])).has(creatorId);
  }
}
