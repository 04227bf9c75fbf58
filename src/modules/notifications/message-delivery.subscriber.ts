import { Injectable } from '@nestjs/common';
import { DomainEvent } from '@/common/outbox/domain-events';
import { OnDomainEvent } from '@/common/outbox/on-domain-event.decorator';
import { MassMessagesService } from '@/modules/messages/mass-messages.service';
import { MESSAGE_PREFIX, NotificationHubService } from './notification-hub.service';

/**
 * A sent direct message reaches its recipient's open streams as a `message` event (docs/inbox.md#delivery): no
 * notification row, only the id on the recipient's channel; each stream renders the message for its own viewer.
 * Idempotent: a second delivery publishes the id again, and a stream that shows it twice shows the same message.
 */
@Injectable()
export class MessageDeliverySubscriber {
  constructor(
    private readonly hub: NotificationHubService,
    private readonly massMessages: MassMessagesService,
  ) {}

  @OnDomainEvent('message.sent', { subscriber: 'notifications.messages' })
  async deliver(event: DomainEvent<'message.sent'>): Promise<void> {
    await this.hub.publishMessage(event.payload.recipientId, event.payload.messageId);
  }

  /**
   * One batch of a mass message's copies (up to `MASS_MESSAGE_BATCH_SIZE`), published in one Redis pipeline: one
   * event per fan-out batch, not one per copy (docs/inbox.md#mass-messages).
   */
  @OnDomainEvent('mass_message.delivered', { subscriber: 'notifications.mass-messages' })
  async deliverBatch(event: DomainEvent<'mass_message.delivered'>): Promise<void> {
    const { massMessageId, lane, lanes, afterRecipientId, lastRecipientId } = event.payload;
    const copies = await this.massMessages.copiesBetween(massMessageId, lane, lanes, afterRecipientId, lastRecipientId);
    await this.hub.publish(copies.map((c) => ({ id: `${MESSAGE_PREFIX}${c.id}`, user_id: c.recipient_id })));
  }
}
