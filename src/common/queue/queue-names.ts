import type { MailRequest } from '@/modules/mail/mail.types';
import { DomainEvents, DomainEventType } from '../outbox/domain-events';

/** Every BullMQ queue. */
export enum QueueName {
  Events = 'events',
  Notifications = 'notifications',
  /** Verified Stripe webhook events, applied to subscriptions and unlocks. */
  Billing = 'billing',
  Media = 'media',
  /** Trending hashtags and hashtag counts for search, recomputed every 30 s. */
  Discovery = 'discovery',
  /** Outgoing mail, sent over SMTP (or written as .eml files in development). */
  Mail = 'mail',
}

/** Every job, with the queue it runs on. */
export enum JobName {
  /** A domain event relayed from the outbox. */
  DomainEvent = 'domain-event',
  /** One batch of `subscribed_post` notifications for a creator's subscribers. */
  FanOutSubscribedPost = 'fan-out-subscribed-post',
  /** One stored Stripe event (`stripe_events`), applied once; the job id is the Stripe event id. */
  ApplyStripeEvent = 'apply-stripe-event',
  /** Re-encode an uploaded image (or probe a video) and mark it ready or failed. */
  ProcessMedia = 'process-media',
  /** Hourly: delete never-attached uploads and files of deleted posts; re-enqueue stuck processing. */
  CleanupMedia = 'cleanup-media',
  /** Every 30 s: rewrite `trending_tags`; every 10 minutes `hashtag_stats` too (search module). */
  RefreshDiscovery = 'refresh-discovery',
  /** One mail; the job id is the `mail.requested` outbox id, which is also the Message-ID. */
  SendMail = 'send-mail',
}

export interface RelayedEvent<T extends DomainEventType = DomainEventType> {
  /** The outbox row id: also the BullMQ job id, so a re-relayed event is not queued twice. */
  id: string;
  type: T;
  payload: DomainEvents[T];
  createdAt: string;
}

/** Typed payloads: `QueueService.enqueue(name, data)` only accepts the payload of its job. */
export interface JobPayloads {
  [JobName.DomainEvent]: RelayedEvent;
  [JobName.FanOutSubscribedPost]: { postId: string; authorId: string; afterSubscriberId: string | null };
  [JobName.ApplyStripeEvent]: { stripeEventId: string };
  [JobName.ProcessMedia]: { mediaId: string };
  [JobName.CleanupMedia]: Record<string, never>;
  [JobName.RefreshDiscovery]: { withStats: boolean };
  [JobName.SendMail]: { id: string; mail: MailRequest };
}

export const JOB_QUEUE: Record<JobName, QueueName> = {
  [JobName.DomainEvent]: QueueName.Events,
  [JobName.FanOutSubscribedPost]: QueueName.Notifications,
  [JobName.ApplyStripeEvent]: QueueName.Billing,
  [JobName.ProcessMedia]: QueueName.Media,
  [JobName.CleanupMedia]: QueueName.Media,
  [JobName.RefreshDiscovery]: QueueName.Discovery,
  [JobName.SendMail]: QueueName.Mail,
};

export interface QueueSettings {
  concurrency: number;
  attempts: number;
  /** First retry delay (ms); doubles each attempt. */
  backoffMs: number;
  keepCompleted: number;
  /** Failed jobs are kept for inspection in the dashboard. */
  keepFailed: number;
  /** A job whose worker stops renewing its lock (crash, kill) is retried by another after about this long. */
  lockMs: number;
}

/** BullMQ worker options of a queue's processor. */
export function workerOptions(queue: QueueName) {
  const settings = QUEUE_SETTINGS[queue];
  return { concurrency: settings.concurrency, lockDuration: settings.lockMs, stalledInterval: Math.max(1000, settings.lockMs / 2) };
}

export const QUEUE_SETTINGS: Record<QueueName, QueueSettings> = {
  [QueueName.Events]: { concurrency: 8, attempts: 8, backoffMs: 1000, keepCompleted: 1000, keepFailed: 10_000, lockMs: 10_000 },
  [QueueName.Notifications]: { concurrency: 2, attempts: 8, backoffMs: 1000, keepCompleted: 1000, keepFailed: 10_000, lockMs: 10_000 },
  // A job may wait on Stripe while it holds a database connection: few at a time; retries span ~30 min of outage.
  [QueueName.Billing]: { concurrency: 4, attempts: 10, backoffMs: 2000, keepCompleted: 1000, keepFailed: 10_000, lockMs: 30_000 },
  // Image decoding is CPU and memory heavy: few at a time per worker; after the last attempt the media is marked failed.
  [QueueName.Media]: { concurrency: 2, attempts: 5, backoffMs: 2000, keepCompleted: 1000, keepFailed: 10_000, lockMs: 60_000 },
  // One small job per 30 s slot; the next slot's job is the retry, so no backoff worth waiting for.
  [QueueName.Discovery]: { concurrency: 1, attempts: 1, backoffMs: 1000, keepCompleted: 20, keepFailed: 100, lockMs: 30_000 },
  // A mail server that is down must lose nothing: 1 s doubling over 16 attempts waits out ~18 h of outage.
  [QueueName.Mail]: { concurrency: 4, attempts: 16, backoffMs: 1000, keepCompleted: 1000, keepFailed: 10_000, lockMs: 30_000 },
};
