import type { MailRequest } from '@/modules/mail/mail.types';

/** Every domain event and its payload. Written to the outbox in the transaction of the change it describes. */
export interface DomainEvents {
  'user.followed': { followerId: string; followingId: string };
  'post.created': { postId: string; authorId: string };
  'post.liked': { postId: string; userId: string; authorId: string };
  'post.replied': { postId: string; replyId: string; userId: string; authorId: string };
  'post.mentioned': { postId: string; userId: string; mentionedUserIds: string[] };
  'post.reposted': { postId: string; repostId: string; userId: string; authorId: string };
  'premium_post.published': { postId: string; authorId: string };
  'subscription.activated': { subscriptionId: string; subscriberId: string; creatorId: string };
  'post.unlocked': { postId: string; userId: string; authorId: string };
  'media.uploaded': { mediaId: string; userId: string };
  /** A mail to send; the mail module queues it on the `mail` queue. */
  'mail.requested': MailRequest;
  /** Someone asked for a reset link for this (normalised) address: looked up by the worker, so the request's time never depends on the answer. */
  'password_reset.requested': { email: string };
  /** The account was deactivated; the worker cancels its Stripe subscriptions and erases its data. */
  'account.deleted': { userId: string };
  'export.requested': { exportId: string; userId: string };
  /** Reports on one target resolved together; every reporter is told (`report_resolved`). */
  'report.resolved': { reports: { reportId: string; reporterId: string }[]; postId: string | null };
  /** `blockerId` blocked `blockedId`: paid access between them ends at the period end (billing). */
  'user.blocked': { blockerId: string; blockedId: string };
}

export type DomainEventType = keyof DomainEvents;
