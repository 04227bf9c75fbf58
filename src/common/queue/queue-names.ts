import { DomainEvents, DomainEventType } from '../outbox/domain-events';

/** Every BullMQ queue. */
export enum QueueName {
  Events = 'events',
  Notifications = 'notifications',
}

/** Every job, with the queue it runs on. */
export enum JobName {
  /** A domain event relayed from the outbox. */
  DomainEvent = 'domain-event',
  /** One batch of `subscribed_post` notifications for a creator's subscribers. */
  FanOutSubscribedPost = 'fan-out-subscribed-post',
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
}

export const JOB_QUEUE: Record<JobName, QueueName> = {
  [JobName.DomainEvent]: QueueName.Events,
  [JobName.FanOutSubscribedPost]: QueueName.Notifications,
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
};
