import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '@/common/config/app-config';
import { StripeEventsRepository } from './repositories/stripe-events.repository';
import { StripeWebhookService } from './stripe-webhook.service';

const EVERY_MS = 10_000;
/** Younger events are normally being queued by the webhook that stored them. */
const MIN_AGE_SECONDS = 5;
const BATCH = 500;

/**
 * Queues stored Stripe events that no worker ever attempted: those received while Redis was down (the webhook
 * answered `200` after storing them) or whose enqueue was lost. Worker role only; any number of workers may sweep,
 * since the job id (the event id) queues each event once.
 */
@Injectable()
export class StripeEventsSweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(StripeEventsSweeper.name);
  private timer?: NodeJS.Timeout;
  private sweeping?: Promise<unknown>;

  constructor(
    private readonly events: StripeEventsRepository,
    private readonly webhooks: StripeWebhookService,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.runsWorkers) return;
    this.timer = setInterval(() => this.tick(), EVERY_MS);
    this.tick();
  }

  /** Before MikroORM closes its pool (on application shutdown), so a sweep in progress can finish. */
  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  /** Queues one batch; answers how many were queued. */
  async sweep(): Promise<number> {
    const ids = await this.events.neverAttempted(MIN_AGE_SECONDS, BATCH);
    const queued = (await Promise.all(ids.map((id) => this.webhooks.enqueue(id)))).filter(Boolean).length;
    if (queued) this.logger.log(`queued ${queued} stored Stripe event(s) that had no job`);
    return queued;
  }

  private tick(): void {
    if (this.sweeping) return;
    this.sweeping = this.sweep()
      .catch((error: unknown) => this.logger.warn(`sweep failed: ${(error as Error).message}`))
      .finally(() => (this.sweeping = undefined));
  }
}
