import { Global, Module } from '@nestjs/common';
import { OutboxRelayService } from './outbox-relay.service';
import { OutboxService } from './outbox.service';

/** Recording events (every role) and relaying them to the queues (worker role only). */
@Global()
@Module({ providers: [OutboxService, OutboxRelayService], exports: [OutboxService, OutboxRelayService] })
export class OutboxModule {}
