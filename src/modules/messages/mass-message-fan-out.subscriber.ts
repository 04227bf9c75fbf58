import { Injectable } from '@nestjs/common';
import { AppConfig } from '@/common/config/app-config';
import { DomainEvent } from '@/common/outbox/domain-events';
import { EventContext, OnDomainEvent } from '@/common/outbox/on-domain-event.decorator';
import { OutboxService } from '@/common/outbox/outbox.service';
import { QueueName } from '@/common/queue/queue-names';
import { MassAudienceService } from './mass-audience.service';
import { FanOutBatch, MassMessagesRepository } from './mass-messages.repository';

type FanOut = 'mass_message.send' | 'mass_message.fan_out_continued';

/**
 * The fan-out of a mass message (docs/inbox.md#mass-messages): batches of `MASS_MESSAGE_BATCH_SIZE` recipients, each
 * in a transaction of its own that writes the copies and moves the resume point (the batch's last recipient id, on
 * the mass message's row) together, and records the batch's live delivery (`mass_message.delivered`). So a worker
 * killed half-way loses nothing (the job is retried, or the event re-sent, and resumes after the last committed
 * batch) and doubles nothing (the resume point, and the unique `(mass_message_id, recipient_id)` index under it).
 * After `MASS_MESSAGE_JOB_BUDGET` the job records a continuation event with its receipt and ends, so one huge
 * audience does not hold the queue.
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
    for (;;) {
      const batch = await this.batch(massMessageId, batchSize);
      if (!batch.sending || batch.finished) break;
      if (Date.now() >= deadline) {
        await context.transaction(async (em) => {
          this.outbox.record(em, 'mass_message.fan_out_continued', { massMessageId, senderId, afterRecipientId: batch.last! });
        });
        return;
      }
    }
    await context.transaction(async () => undefined);
  }

  /** One batch, committed with its resume point and its live delivery's event. */
  private batch(massMessageId: string, size: number): Promise<FanOutBatch> {
    return this.massMessages
      .getEntityManager()
      .fork()
      .transactional(async (em) => {
        const batch = await this.massMessages.fanOutBatch(em, massMessageId, size, (row) => this.audience.sql(row.sender_id, row.audience));
        if (batch.written > 0) {
          this.outbox.record(em, 'mass_message.delivered', { massMessageId, afterRecipientId: batch.after, lastRecipientId: batch.last! });
        }
        return batch;
      });
  }
}
