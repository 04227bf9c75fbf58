import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '@/common/config/app-config';
import { OutboxService } from '@/common/outbox/outbox.service';
import { MassMessagesRepository } from './mass-messages.repository';

/** Scheduled mass messages claimed per sweep transaction. */
const CLAIM_BATCH = 100;

/**
 * Scheduled mass messages go when their time comes (docs/inbox.md#mass-messages): every worker sweeps
 * `mass_messages_due_idx` every `MASS_MESSAGE_SWEEP_EVERY` (and at start), claiming due ones (`sending`) and recording
 * their `mass_message.send` in the same transaction. PostgreSQL holds the schedule, not Redis: a Redis restarted
 * empty loses no schedule, and one whose time came while no worker ran goes at the next worker's start.
 */
@Injectable()
export class MassMessageScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(MassMessageScheduler.name);
  private timer?: NodeJS.Timeout;
  private current: Promise<unknown> = Promise.resolve();
  private running = false;

  constructor(
    private readonly massMessages: MassMessagesRepository,
    private readonly outbox: OutboxService,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.runsWorkers) return;
    this.running = true;
    this.schedule(0);
  }

  /** Before the pool closes (as the outbox relay): a sweep under way finishes, no new one starts. */
  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.current.catch(() => undefined);
  }

  private schedule(delay: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.current = this.tick();
    }, delay);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    let full = false;
    try {
      full = (await this.sweep()) === CLAIM_BATCH;
    } catch (error) {
      // Nothing was claimed (the transaction rolled back): the next sweep tries again.
      this.logger.warn(`scheduled mass messages not swept: ${(error as Error).message}`);
    }
    this.schedule(full ? 0 : this.config.massMessages.sweepEveryMs);
  }

  /** Claims due scheduled mass messages and records their sends; answers how many. */
  async sweep(): Promise<number> {
    return this.massMessages
      .getEntityManager()
      .fork()
      .transactional(async (em) => {
        const due = await this.massMessages.claimDue(em, CLAIM_BATCH);
        for (const row of due) this.outbox.record(em, 'mass_message.send', { massMessageId: row.id, senderId: row.sender_id });
        return due.length;
      });
  }
}
