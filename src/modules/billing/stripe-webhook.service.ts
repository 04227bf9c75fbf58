import { Injectable, Logger } from '@nestjs/common';
import { timeout } from '@/common/outbox/outbox-relay.service';
import { JobName } from '@/common/queue/queue-names';
import { QueueService } from '@/common/queue/queue.service';
import { RedisService } from '@/common/redis/redis.service';
import { StripeEventsRepository } from './repositories/stripe-events.repository';
import { StripeClient } from './stripe/stripe.client';

/** Stripe waits for the answer: never long on a slow Redis (the sweep queues what is left out). */
const ENQUEUE_TIMEOUT_MS = 1000;

/** Receives Stripe's webhooks: verify, store (PostgreSQL only), queue for a worker, answer. */
@Injectable()
export class StripeWebhookService {
  private readonly logger = new Logger(StripeWebhookService.name);

  constructor(
    private readonly stripe: StripeClient,
    private readonly events: StripeEventsRepository,
    private readonly queues: QueueService,
    private readonly redis: RedisService,
  ) {}

  async receive(rawBody: Buffer | undefined, signature: string | undefined): Promise<{ received: true }> {
    const event = this.stripe.verifyWebhook(rawBody, signature);
    await this.events.insertIfNew(event);
    await this.enqueue(event.id);
    return { received: true };
  }

  /**
   * Queues the event's job (its id is the event id: queued once however often Stripe delivers). Stored is what
   * counts: with Redis down the event waits for `StripeEventsSweeper`, and Stripe still gets its `200`.
   */
  async enqueue(stripeEventId: string): Promise<boolean> {
    if (this.redis.client.status !== 'ready') return false;
    try {
      await timeout(this.queues.enqueue(JobName.ApplyStripeEvent, { stripeEventId }, { jobId: stripeEventId }), ENQUEUE_TIMEOUT_MS);
      return true;
    } catch (error) {
      this.logger.warn(`stripe event ${stripeEventId} stored, not queued (${(error as Error).message}); the sweep will queue it`);
      return false;
    }
  }
}
