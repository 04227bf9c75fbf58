import { Injectable } from '@nestjs/common';
import { DomainEvent } from '@/common/outbox/domain-events';
import { OnDomainEvent } from '@/common/outbox/on-domain-event.decorator';
import { NotificationHubService } from './notification-hub.service';

/**
 * A sent direct message reaches its recipient's open streams as a `message` event (docs/inbox.md#delivery): no
 * notification row, only the id on the recipient's channel; each stream renders the message for its own viewer.
 * Idempotent: a second delivery publishes the id again, and a stream that shows it twice shows the same message.
 */
@Injectable()
export class MessageDeliverySubscriber {
  constructor(private readonly hub: NotificationHubService) {}

  @OnDomainEvent('message.sent', { subscriber: 'notifications.messages' })
  async deliver(event: DomainEvent<'message.sent'>): Promise<void> {
    await this.hub.publishMessage(event.payload.recipientId, event.payload.messageId);
  }
}
