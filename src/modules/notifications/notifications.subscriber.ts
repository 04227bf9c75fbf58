import { Injectable } from '@nestjs/common';
import { AuthUser } from '@/common/auth/auth-user';
import { sql, value } from '@/common/database/sql-fragment';
import { DomainEvent } from '@/common/outbox/domain-events';
import { EventContext, OnDomainEvent } from '@/common/outbox/on-domain-event.decorator';
import { OutboxService } from '@/common/outbox/outbox.service';
import { QueueName } from '@/common/queue/queue-names';
import { EntitlementsService } from '@/modules/entitlements/entitlements.service';
import { PostAccessPolicy } from '@/modules/posts/post-access.policy';
import { SocialService } from '@/modules/social/social.service';
import { NotificationHubService } from './notification-hub.service';
import { NewNotification, NotificationsRepository } from './notifications.repository';

const FAN_OUT_BATCH = 5000;
const FIRST_ID = '00000000-0000-0000-0000-000000000000';

/** Events that notify one recipient (or, for mentions, a few). */
const NOTIFYING = ['user.followed', 'post.liked', 'post.replied', 'post.reposted', 'post.mentioned', 'subscription.activated', 'post.unlocked', 'message.unlocked', 'tip.received', 'gift.received'] as const;
type Notifying = (typeof NOTIFYING)[number];
type FanOut = 'premium_post.published' | 'premium_post.fan_out_continued';

/** A recipient as the visibility policy sees them. */
const asViewer = (id: string): AuthUser => ({ id, role: 'user', sessionId: '' });

/** The notifications an event asks for, before the recipients' blocks, mutes and visibility are checked. */
function candidatesOf(event: DomainEvent<Notifying>): NewNotification[] {
  switch (event.type) {
    case 'user.followed': {
      const { followerId, followingId } = event.payload;
      return [{ userId: followingId, fromUserId: followerId, type: 'follow', postId: null, dedupeKey: `follow:${followerId}` }];
    }
    case 'post.liked': {
      const { postId, userId, authorId } = event.payload;
      return [{ userId: authorId, fromUserId: userId, type: 'like', postId, dedupeKey: `like:${userId}:${postId}` }];
    }
    case 'post.replied': {
      const { replyId, userId, authorId } = event.payload;
      return [{ userId: authorId, fromUserId: userId, type: 'reply', postId: replyId, dedupeKey: `reply:${replyId}` }];
    }
    case 'post.reposted': {
      const { postId, userId, authorId } = event.payload;
      return [{ userId: authorId, fromUserId: userId, type: 'repost', postId, dedupeKey: `repost:${userId}:${postId}` }];
    }
    case 'post.mentioned': {
      const { postId, userId, mentionedUserIds } = event.payload;
      return mentionedUserIds.map((to) => ({ userId: to, fromUserId: userId, type: 'mention' as const, postId, dedupeKey: `mention:${postId}` }));
    }
    case 'subscription.activated': {
      const { subscriptionId, subscriberId, creatorId } = event.payload;
      return [{ userId: creatorId, fromUserId: subscriberId, type: 'subscription', postId: null, dedupeKey: `subscription:${subscriptionId}` }];
    }
    case 'post.unlocked': {
      const { postId, userId, authorId } = event.payload;
      return [{ userId: authorId, fromUserId: userId, type: 'post_unlocked', postId, dedupeKey: `post_unlocked:${userId}:${postId}` }];
    }
    case 'message.unlocked': {
      const { messageId, userId, senderId } = event.payload;
      return [{ userId: senderId, fromUserId: userId, type: 'message_unlocked', postId: null, dedupeKey: `message_unlocked:${userId}:${messageId}` }];
    }
    case 'tip.received': {
      const { tipId, tipperId, creatorId, postId, amountCents, currency } = event.payload;
      return [{ userId: creatorId, fromUserId: tipperId, type: 'tip', postId, dedupeKey: `tip:${tipId}`, amountCents, currency }];
    }
    case 'gift.received': {
      const { giftId, gifterId, recipientId } = event.payload;
      return [{ userId: recipientId, fromUserId: gifterId, type: 'gift_received', postId: null, dedupeKey: `gift_received:${giftId}` }];
    }
  }
}

/**
 * The worker side of notifications: outbox events become notification rows, committed with the event's receipt,
 * then pushed live. Idempotent twice over: the receipt, and the dedupe keys.
 */
@Injectable()
export class NotificationsSubscriber {
  constructor(
    private readonly notifications: NotificationsRepository,
    private readonly social: SocialService,
    private readonly policy: PostAccessPolicy,
    private readonly entitlements: EntitlementsService,
    private readonly hub: NotificationHubService,
    private readonly outbox: OutboxService,
  ) {}

  /**
   * Decides in the transaction that commits the receipt: the checks and the insert share one connection and one
   * commit, so a check that fails (a killed backend, a timeout) fails the delivery, which is retried; it is never read
   * as "do not notify" with the receipt committed anyway (issue 24).
   */
  @OnDomainEvent(NOTIFYING, { subscriber: 'notifications' })
  async notify(event: DomainEvent<Notifying>, context: EventContext): Promise<void> {
    const inserted = await context.transaction(async () => {
      const allowed: NewNotification[] = [];
      for (const candidate of candidatesOf(event)) {
        if (await this.mayNotify(candidate)) allowed.push(candidate);
      }
      return this.notifications.insertDeduplicated(allowed);
    });
    await this.hub.publish(inserted);
  }

  /**
   * One batch of a premium post's `subscribed_post` fan-out. A full batch records the next one as an event in its own
   * transaction: bounded, resumable work that survives a lost queue like any other event.
   */
  @OnDomainEvent(['premium_post.published', 'premium_post.fan_out_continued'], { subscriber: 'notifications.fan-out', queue: QueueName.Notifications })
  async fanOut(event: DomainEvent<FanOut>, context: EventContext): Promise<void> {
    const { postId, authorId, minTierId } = event.payload;
    // A tiered post reaches only subscribers at its tier or a higher one (the access policy's tier rank).
    const base = this.entitlements.subscriptionAccessSql('s');
    const access = minTierId ? sql`(${base} and ${this.entitlements.subscriptionReachesTierSql('s', value(minTierId))})` : base;
    const after = event.type === 'premium_post.fan_out_continued' ? event.payload.afterSubscriberId : FIRST_ID;
    const inserted = await context.transaction(async (em) => {
      const batch = await this.notifications.fanOutSubscribedPost(postId, authorId, after, FAN_OUT_BATCH, access);
      if (batch.covered.length === FAN_OUT_BATCH) {
        this.outbox.record(em, 'premium_post.fan_out_continued', { postId, authorId, afterSubscriberId: batch.covered[batch.covered.length - 1], minTierId: minTierId ?? null });
      }
      return batch.inserted;
    });
    await this.hub.publish(inserted);
  }

  /**
   * Every reporter of a resolved group is told (`from_user: null`), naming the post only while they may still see it
   * (a removed post: none). Moderation notices ignore blocks and mutes: nobody sends them.
   */
  @OnDomainEvent('report.resolved', { subscriber: 'notifications.reports' })
  async reportResolved(event: DomainEvent<'report.resolved'>, context: EventContext): Promise<void> {
    const { reports, postId } = event.payload;
    const inserted = await context.transaction(async () => {
      const notices: NewNotification[] = [];
      for (const r of reports) {
        const post = postId && (await this.policy.canView(asViewer(r.reporterId), postId)) ? postId : null;
        notices.push({ userId: r.reporterId, fromUserId: null, type: 'report_resolved', postId: post, dedupeKey: `report_resolved:${r.reportId}` });
      }
      return this.notifications.insertDeduplicated(notices);
    });
    await this.hub.publish(inserted);
  }

  /** Nobody is notified of their own actions, by someone they block or mute, or about a post they may not see. */
  private async mayNotify(n: NewNotification): Promise<boolean> {
    if (!n.fromUserId || n.userId === n.fromUserId) return false;
    if (await this.social.silences(n.userId, n.fromUserId)) return false;
    return !n.postId || this.policy.canView(asViewer(n.userId), n.postId);
  }
}
