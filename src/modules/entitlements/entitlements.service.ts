import { Injectable } from '@nestjs/common';
import { EntityManager } from '@mikro-orm/postgresql';
import { AppConfig } from '@/common/config/app-config';
import { SqlFragment, SqlOperand } from '@/common/database/sql-fragment';
import {
  creatorsWithAccessSql,
  isLiveTierOf,
  isTierOf,
  messageSalesSql,
  revenueOf,
  selectIds,
  subscriberIdsSql,
  tierSubscriberIdsSql,
  tiersReachedSql,
  unlockedAmongSql,
  unlockedMessagesAmongSql,
  unlockedSqlOf,
} from './entitlement-queries';
import { hasSubscriberAccess, hasTierAccess, subscriptionGrantsAccess, subscriptionReachesTier } from './subscriber-access';

/**
 * Who may see whose paid content: subscriber access (the rule in `subscriber-access.ts`: `active`/`trialing`, or
 * `past_due` within `PAST_DUE_GRACE_DAYS`) and pay-per-view purchases. The batched look-ups serve the post access
 * policy; the SQL fragments serve queries that filter in the database (timelines, notification fan-out, search).
 */
@Injectable()
export class EntitlementsService {
  constructor(
    private readonly em: EntityManager,
    private readonly config: AppConfig,
  ) {}

  private get graceDays(): number {
    return this.config.billing.pastDueGraceDays;
  }

  /** Of these creators, the ones `subscriberId` may see subscriber content of. One query for any number. */
  subscribedCreators(subscriberId: string, creatorIds: string[]): Promise<Set<string>> {
    const q = this.subscribedCreatorsSql(subscriberId, creatorIds);
    return q ? selectIds(this.em, q) : Promise.resolve(new Set());
  }

  /** Of these pay-per-view posts, the ones `userId` bought. */
  unlockedPosts(userId: string, postIds: string[]): Promise<Set<string>> {
    const q = this.unlockedPostsSql(userId, postIds);
    return q ? selectIds(this.em, q) : Promise.resolve(new Set());
  }

  /** Of these paid direct messages, the ones `userId` bought (docs/inbox.md#buying-a-paid-message). */
  unlockedMessages(userId: string, messageIds: string[]): Promise<Set<string>> {
    return messageIds.length ? selectIds(this.em, unlockedMessagesAmongSql(userId, messageIds)) : Promise.resolve(new Set());
  }

  /** `unlockedMessages` as SQL (`select id`), for a caller that asks it with other questions at once. */
  unlockedMessagesSql(userId: string, messageIds: string[]): SqlFragment | undefined {
    return messageIds.length ? unlockedMessagesAmongSql(userId, messageIds) : undefined;
  }

  /** `subscribedCreators` and `unlockedPosts` as SQL (`select id`), for a caller that asks them with other questions at once. */
  subscribedCreatorsSql(subscriberId: string, creatorIds: string[]): SqlFragment | undefined {
    return creatorIds.length ? creatorsWithAccessSql(subscriberId, creatorIds, this.graceDays) : undefined;
  }

  /** Of these tiers, the ones `subscriberId` reaches (subscriber access at that tier or higher), as a `select id`. */
  tiersReachedSql(subscriberId: string, tierIds: string[]): SqlFragment | undefined {
    return tierIds.length ? tiersReachedSql(subscriberId, tierIds, this.graceDays) : undefined;
  }

  /** `tierId` is one of `creatorId`'s non-archived tiers (a post's `min_tier_id` must be). */
  isLiveTierOf(creatorId: string, tierId: string): Promise<boolean> {
    return isLiveTierOf(this.em, creatorId, tierId);
  }

  unlockedPostsSql(userId: string, postIds: string[]): SqlFragment | undefined {
    return postIds.length ? unlockedAmongSql(userId, postIds) : undefined;
  }

  async isSubscribed(subscriberId: string, creatorId: string): Promise<boolean> {
    return (await this.subscribedCreators(subscriberId, [creatorId])).has(creatorId);
  }

  /**
   * A creator's subscriptions that give access now, in `currency`: how many, and the sum of their monthly prices
   * (what each subscriber pays, before the platform's fee).
   */
  activeRevenue(creatorId: string, currency: string): Promise<{ subscribers: number; monthlyCents: number }> {
    return revenueOf(this.em, creatorId, currency, this.graceDays);
  }

  /** SQL: `subscriber` has access to `creator`'s subscriber content (an `exists` over `subscriptions`). */
  subscriberAccessSql(subscriber: SqlOperand, creator: SqlOperand): SqlFragment {
    return hasSubscriberAccess(subscriber, creator, this.graceDays);
  }

  /** SQL: `subscriber` has subscriber access to the tier `minTier` or a higher one of its creator's. */
  tierAccessSql(subscriber: SqlOperand, minTier: SqlOperand): SqlFragment {
    return hasTierAccess(subscriber, minTier, this.graceDays);
  }

  /** SQL: the `subscriptions` row aliased `alias` is to the tier `minTier` or a higher one (with `subscriptionAccessSql`: the fan-out of a tiered post). */
  subscriptionReachesTierSql(alias: string, minTier: SqlOperand): SqlFragment {
    return subscriptionReachesTier(alias, minTier);
  }

  /** SQL: `buyer` bought the pay-per-view post `post` and was not refunded (an `exists` over `post_unlocks`). */
  unlockedSql(buyer: SqlOperand, post: SqlOperand): SqlFragment {
    return unlockedSqlOf(buyer, post);
  }

  /** SQL: the `subscriptions` row aliased `alias` in the caller's query gives access (for queries that list subscribers). */
  subscriptionAccessSql(alias: string): SqlFragment {
    return subscriptionGrantsAccess(alias, this.graceDays);
  }

  /**
   * A creator's subscribers, as a `select id`: `active` (access now) or `expired` (had a subscription, none giving
   * access now). Mass messages' `subscribers` and `expired_subscribers` segments.
   */
  subscriberIdsSql(creatorId: string, which: 'active' | 'expired'): SqlFragment {
    return subscriberIdsSql(creatorId, which, this.graceDays);
  }

  /**
   * A creator's active subscribers whose subscription reaches the tier `tierId` (that tier or a higher one), as a
   * `select id`. Mass messages' `tier:<id>` segment (the tier checked as the creator's own with `isTierOf`).
   */
  tierSubscriberIdsSql(creatorId: string, tierId: string): SqlFragment {
    return tierSubscriberIdsSql(creatorId, tierId, this.graceDays);
  }

  /** `tierId` is one of `creatorId`'s tiers, archived or not. */
  isTierOf(creatorId: string, tierId: string): Promise<boolean> {
    return isTierOf(this.em, creatorId, tierId);
  }

  /**
   * Sales of paid messages, grouped: `copies` is a `select id, group_id` (message ids, and what each counts towards,
   * e.g. its mass message). Per group: purchases that stand (`paid`) and their gross sum in cents. One aggregate.
   */
  async messageSales(copies: SqlFragment): Promise<Map<string, { unlocked: number; revenueCents: number }>> {
    const q = messageSalesSql(copies);
    const rows = await this.em.execute<{ group_id: string; unlocked: number; revenue: string }[]>(q.sql, [...q.params]);
    return new Map(rows.map((r) => [r.group_id, { unlocked: Number(r.unlocked), revenueCents: Number(r.revenue) }]));
  }
}
