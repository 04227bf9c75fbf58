import { Injectable } from '@nestjs/common';
import { AppConfig } from '@/common/config/app-config';
import { DomainEvent } from '@/common/outbox/domain-events';
import { EventContext, OnDomainEvent } from '@/common/outbox/on-domain-event.decorator';
import { OutboxService } from '@/common/outbox/outbox.service';
import { QueueName } from '@/common/queue/queue-names';
import { MassAudienceService } from './mass-audience.service';
import { FanOutBatch, MassMessagesRepository, MassMessageStopped } from './mass-messages.repository';

type FanOut = 'mass_message.send' | 'mass_message.fan_out_continued';

/**
 * The fan-out of a mass message (docs/inbox.md#mass-messages): recipients split into `MASS_MESSAGE_LANES` lanes by a
 * hash of their id, the lanes written at the same time, each in batches of `MASS_MESSAGE_BATCH_SIZE` recipients, each
 * batch in a transaction of its own that writes the copies and moves the lane's resume point (its last recipient id,
 * on the mass message's row) together, and records the batch's live delivery (`mass_message.delivered`). So a worker
 * killed half-way loses nothing (the job is retried, or the event re-sent, and each lane resumes after its last
 * committed batch) and doubles nothing (the resume points, and the unique `(mass_message_id, recipient_id)` index
 * under them). After `MASS_MESSAGE_JOB_BUDGET` the job records a continuation event with its receipt and ends, so one
 * huge audience does not hold the queue.
 */
@Injectable()
export class MassMessageFanOutSubscriber {
  constructor(
    private readonly massMessages: MassMessagesRepository,
    private readonly audience: MassAudienceService,
    private readonly outbox: OutboxService,
    private readonly config: AppConfig,
  ) {}

  @OnDomainEvent(['mass_message.send', 'mass_message.fan_out_continued'], { subscriber: 'messages.mass-fan-out', queue: QueueName.Notifications })
  async fanOut(event: DomainEvent<FanOut>, context: EventContext): Promise<void> {
    const { massMessageId, senderId } = event.payload;
    const { batchSize, jobBudgetMs } = this.config.massMessages;
    const deadline = Date.now() + jobBudgetMs;
    const lanes = await this.massMessages.fixLanes(massMessageId, this.config.massMessages.lanes);
    // Each lane on its own connection: PostgreSQL writes them on as many cores. A lane that fails fails the job once
    // the others have stopped (at their next batch), and the retry resumes every lane where it stands.
    let failed = false;
    const runLane = async (lane: number): Promise<boolean> => {
      while (!failed) {
        const batch = await this.batch(massMessageId, lane, lanes, batchSize).catch((error: unknown) => {
          failed = true;
          throw error;
        });
        if (!batch.sending || batch.finished) return true;
        if (Date.now() >= deadline) return false;
      }
      return false;
    };
    const results = await Promise.allSettled(Array.from({ length: lanes }, (_, lane) => runLane(lane)));
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected) throw rejected.reason;
    if (results.every((r) => r.status === 'fulfilled' && r.value)) {
      await context.transaction(async () => undefined);
      return;
    }
    await context.transaction(async (em) => {
      this.outbox.record(em, 'mass_message.fan_out_continued', { massMessageId, senderId });
    });
  }

  /** One batch of one lane, committed with its resume point and its live delivery's event. */
  private async batch(massMessageId: string, lane: number, lanes: number, size: number): Promise<FanOutBatch> {
    try {
      return await this.massMessages
        .getEntityManager()
        .fork()
        .transactional(async (em) => {
          const batch = await this.massMessages.fanOutBatch(em, massMessageId, lane, size, (row) => this.audience.sql(row.sender_id, row.audience));
          if (batch.written > 0) {
            this.outbox.record(em, 'mass_message.delivered', { massMessageId, lane, lanes, afterRecipientId: batch.after, lastRecipientId: batch.last! });
          }
          return batch;
        });
    } catch (error) {
      // Canceled while this batch ran: the batch rolled back, and the lane stops (a decision, not a failure).
      if (error instanceof MassMessageStopped) return { sending: false, after: null, last: null, written: 0, finished: false };
      throw error;
    }
  }
}
