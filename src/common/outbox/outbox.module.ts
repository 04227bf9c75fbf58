import { Global, Module } from '@nestjs/common';
import { DomainEventHandlers } from './domain-event-handlers';
import { OutboxRelayService } from './outbox-relay.service';
import { OutboxService } from './outbox.service';

/** Recording events (every role) and relaying them to the queues (worker role only). */
@Global()
@Module({
  providers: [OutboxService, OutboxRelayService, DomainEventHandlers],
  exports: [OutboxService, OutboxRelayService, DomainEventHandlers],
})
export class OutboxModule {}
