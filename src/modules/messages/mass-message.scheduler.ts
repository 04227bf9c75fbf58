import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@/common/config/app-config';
import { OutboxService } from '@/common/outbox/outbox.service';
import { WorkerLoop } from '@/common/workers/worker-loop';
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
export class MassMessageScheduler extends WorkerLoop {
  private readonly logger = new Logger(MassMessageScheduler.name);

  constructor(
    private readonly massMessages: MassMessagesRepository,
    private readonly outbox: OutboxService,
    private readonly config: AppConfig,
  ) {
    super();
  }

  protected runsHere(): boolean {
    return this.config.runsWorkers;
  }

  protected async tick(): Promise<void> {
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
