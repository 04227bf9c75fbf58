import type { MailRequest } from '@/modules/mail/mail.types';

/**
 * Every domain event and its payload. An event is written to the outbox in the transaction of the change it describes,
 * and only if some module subscribes to it (`@OnDomainEvent`): a worker refuses to start when a type has no subscriber.
 */
export interface DomainEvents {
  'user.followed': { followerId: string; followingId: string };
  'post.liked': { postId: string; userId: string; authorId: string };
  'post.replied': { postId: string; replyId: string; userId: string; authorId: string };
  'post.mentioned': { postId: string; userId: string; mentionedUserIds: string[] };
  'post.reposted': { postId: string; repostId: string; userId: string; authorId: string };
  /** `minTierId`: the post's lowest tier (docs/access-policy.md#tiers): only subscribers at it or above are notified. */
  'premium_post.published': { postId: string; authorId: string; minTierId?: string | null };
  /** The next batch of a premium post's subscriber fan-out, recorded by the batch before it. */
  'premium_post.fan_out_continued': { postId: string; authorId: string; afterSubscriberId: string; minTierId?: string | null };
  'subscription.activated': { subscriptionId: string; subscriberId: string; creatorId: string };
  'post.unlocked': { postId: string; userId: string; authorId: string };
  /** `userId` bought `senderId`'s paid direct message (docs/inbox.md#buying-a-paid-message). */
  'message.unlocked': { messageId: string; userId: string; senderId: string };
  /**
   * `tipperId` paid `creatorId` a tip (docs/inbox.md#tips), on a post or in their conversation: the creator's `tip`
   * notification (notifications) and the tip message in their conversation (messages), each once per tip.
   */
  'tip.received': {
    tipId: string;
    tipperId: string;
    creatorId: string;
    amountCents: number;
    currency: string;
    message: string | null;
    postId: string | null;
    conversationId: string | null;
  };
  /** `gifterId`'s paid gift of `creatorId`'s tier reached the account `recipientId` (docs/billing.md#gifts): its `gift_received` notification. */
  'gift.received': { giftId: string; gifterId: string; recipientId: string; creatorId: string };
  'media.uploaded': { mediaId: string; userId: string };
  /** A verified Stripe webhook event, stored in `stripe_events` in the same transaction. */
  'stripe.event_received': { stripeEventId: string };
  /** A mail to send, sent by the mail module on the `mail` queue; the event id is its Message-ID. */
  'mail.requested': MailRequest;
  /**
   * Someone asked for a reset link for this (normalised) address: looked up by the worker, so the request's time never
   * depends on the answer.
   */
  'password_reset.requested': { email: string };
  /** The account was deactivated (`DELETE /me`): Stripe subscriptions end and its data is erased in batches. */
  'account.deleted': { userId: string };
  /** A data export to build into media storage and mail. */
  'export.requested': { exportId: string; userId: string };
  /** Reports on one target resolved together; every reporter is told (`report_resolved`). */
  'report.resolved': { reports: { reportId: string; reporterId: string }[]; postId: string | null };
  /** `blockerId` blocked `blockedId`: paid access between them ends at the period end (billing). */
  'user.blocked': { blockerId: string; blockedId: string };
  /**
   * Where a creator's money goes changed (their payout account was deauthorized, or began or stopped taking charges):
   * billing routes their running subscriptions there, in batches; each full batch records the next one after its last
   * subscription row id (null: from the first).
   */
  'payouts.routing_changed': { creatorId: string; afterSubscriptionId: string | null };
  /** A direct message was sent: its recipient's open streams get it live (as they may see it), no notification row. */
  'message.sent': { messageId: string; senderId: string; recipientId: string };
  /** A mass message is due (sent now, or its scheduled time came): the messages module fans it out in batches. */
  'mass_message.send': { massMessageId: string; senderId: string };
  /** The rest of a mass message's fan-out, each lane after the resume point its last batch committed (on the row). */
  'mass_message.fan_out_continued': { massMessageId: string; senderId: string };
  /**
   * One fan-out batch committed: its copies, the recipients of lane `lane` (of `lanes`) in (`afterRecipientId`,
   * `lastRecipientId`] (null: from the first), get their live `message` event, published per batch in one pipeline.
   */
  'mass_message.delivered': { massMessageId: string; lane: number; lanes: number; afterRecipientId: string | null; lastRecipientId: string };
  /**
   * A referred creator's payment was recorded in the ledger (kind and Stripe object, as the ledger keys it): billing
   * books the referrer's share and transfers it (docs/billing.md#referral-rewards).
   */
  'referral.share_due': { paymentKind: string; paymentObjectId: string };
  /** A refund or lost dispute took back (part of) a referred creator's payment: its referral share is reversed in proportion. */
  'referral.share_reversal_due': { chargeId: string | null; paymentIntentId: string | null };
  /**
   * The user's payout account can receive transfers now: their pending referral shares are paid, in batches; each full
   * batch records the next one after its last share id (null: from the first).
   */
  'referral.payouts_ready': { referrerId: string; afterShareId: string | null };
}

export type DomainEventType = keyof DomainEvents;

/** One event as a handler sees it: `type` narrows `payload` in a `switch`. */
export type DomainEvent<T extends DomainEventType = DomainEventType> = { [K in T]: { type: K; payload: DomainEvents[K] } }[T];

/** Every type at run time, for the start-up check; `satisfies` keeps it equal to the map above. */
export const DOMAIN_EVENT_TYPES = Object.keys({
  'user.followed': true,
  'post.liked': true,
  'post.replied': true,
  'post.mentioned': true,
  'post.reposted': true,
  'premium_post.published': true,
  'premium_post.fan_out_continued': true,
  'subscription.activated': true,
  'post.unlocked': true,
  'message.unlocked': true,
  'tip.received': true,
  'gift.received': true,
  'media.uploaded': true,
  'stripe.event_received': true,
  'mail.requested': true,
  'password_reset.requested': true,
  'account.deleted': true,
  'export.requested': true,
  'report.resolved': true,
  'user.blocked': true,
  'payouts.routing_changed': true,
  'message.sent': true,
  'mass_message.send': true,
  'mass_message.fan_out_continued': true,
  'mass_message.delivered': true,
  'referral.share_due': true,
  'referral.share_reversal_due': true,
  'referral.payouts_ready': true,
} satisfies Record<DomainEventType, true>) as DomainEventType[];
