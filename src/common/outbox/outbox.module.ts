import { DynamicModule, Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { AppConfig } from '../config/app-config';
import { QueueName } from '../queue/queue-names';
import { OutboxDispatcher } from './outbox-dispatcher';
import { OutboxEvent } from './outbox-event.entity';
import { OutboxRelayService } from './outbox-relay.service';
import { OutboxSubscribers } from './outbox-subscribers';
import { outboxProcessor } from './outbox.processor';
import { OutboxService } from './outbox.service';

/**
 * The one durable event pipeline (docs/events.md): recording events (every role), the subscriber registry, the relay
 * and the dispatcher, and the `events` queue's processor (worker role).
 */
@Global()
@Module({})
export class OutboxModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: OutboxModule,
      imports: [MikroOrmModule.forFeature([OutboxEvent]), DiscoveryModule],
      providers: [
        OutboxService,
        OutboxRelayService,
        OutboxSubscribers,
        OutboxDispatcher,
        ...(config.runsWorkers ? [outboxProcessor(QueueName.Events)] : []),
      ],
      exports: [OutboxService, OutboxRelayService, OutboxSubscribers, OutboxDispatcher],
    };
  }
}
