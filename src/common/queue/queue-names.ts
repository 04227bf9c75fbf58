import { DomainEvents, DomainEventType } from '../outbox/domain-events';

/** Every BullMQ queue. */
export enum QueueName {
  /** Outbox events whose handlers are quick database work (notifications). */
  Events = 'events',
  /** The premium posts' subscriber fan-out and the mass messages' recipient fan-out, in batches. */
  Notifications = 'notifications',
  /** Verified Stripe webhook events, applied to subscriptions and unlocks; the subscriptions a block ends; a creator's subscriptions routed after a payout account change. */
  Billing = 'billing',
  /** Upload processing and the hourly clean-up. */
  Media = 'media',
  /** Trending hashtags and hashtag counts for search (`refresh-discovery`, every 30 s). */
  Discovery = 'discovery',
  /** Outgoing mail (`mail.requested` events), sent over SMTP or written as .eml files in development. */
  Mail = 'mail',
  /** Account erasure and data exports (`account.deleted`, `export.requested`): long, batched, resumable. */
  Accounts = 'accounts',
  /** The daily reconciliation of the earnings ledger against Stripe (`reconcile`). */
  Reconciliation = 'reconciliation',
}

/** Every job. */
export enum JobName {
  /** One outbox event for one of its subscribers, on the queue that subscriber chose (`@OnDomainEvent`). */
  DomainEvent = 'domain-event',
  /** Hourly: delete never-attached uploads and files of deleted posts. */
  CleanupMedia = 'cleanup-media',
  /** Every 30 s: rewrite `trending_tags` and touch `hashtag_stats`; hourly, rebuild `hashtag_stats` (search module). */
  RefreshDiscovery = 'refresh-discovery',
  /** Daily: yesterday's ledger against Stripe's balance transactions; differences fail the job (reconciliation module). */
  Reconcile = 'reconcile',
}

/**
 * The job of one outbox event for one subscriber. The job id is `<event id>.<subscriber>`: relaying or re-sending an
 * event whose job is still in Redis queues nothing twice.
 */
export interface EventJob<T extends DomainEventType = DomainEventType> {
  /** The outbox row id. */
  id: string;
  type: T;
  payload: DomainEvents[T];
  createdAt: string;
  /** The subscriber that runs this job, by its stable name (`@OnDomainEvent({ subscriber })`). */
  subscriber: string;
}

/** Jobs enqueued directly (`QueueService.enqueue`); events reach the queues only through the outbox relay. */
export type DirectJob = Exclude<JobName, JobName.DomainEvent>;

/** Typed payloads: `QueueService.enqueue(name, data)` only accepts the payload of its job. */
export interface JobPayloads {
  [JobName.DomainEvent]: EventJob;
  [JobName.CleanupMedia]: Record<string, never>;
  [JobName.RefreshDiscovery]: { withStats: boolean };
  /** The window, `[from, to)`, as ISO date-times. */
  [JobName.Reconcile]: { from: string; to: string };
}

/** The queue of each direct job (events run on the queue their subscriber chose). */
export const JOB_QUEUE: Record<DirectJob, QueueName> = {
  [JobName.CleanupMedia]: QueueName.Media,
  [JobName.RefreshDiscovery]: QueueName.Discovery,
  [JobName.Reconcile]: QueueName.Reconciliation,
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
  // Erasure and exports stream through large data sets one at a time; each step is resumable, so retries are cheap.
  [QueueName.Accounts]: { concurrency: 1, attempts: 10, backoffMs: 5000, keepCompleted: 1000, keepFailed: 10_000, lockMs: 120_000 },
  // One run a day paging through Stripe: retried over ~15 min of a Stripe outage; a report with differences is not retried.
  [QueueName.Reconciliation]: { concurrency: 1, attempts: 4, backoffMs: 60_000, keepCompleted: 60, keepFailed: 60, lockMs: 120_000 },
};
