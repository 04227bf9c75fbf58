import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { BullModule } from '@nestjs/bullmq';
import { Cluster } from 'ioredis';
import { AppConfig } from '../config/app-config';
import { bullPrefix, createBullConnection } from '../redis/redis.factory';
import { JobHandlersRegistry } from './job-handlers.registry';
import { QueueName } from './queue-names';
import { QueueService } from './queue.service';
import { WorkerErrorsListener } from './worker-errors.listener';
import { BullmqCloser } from './bullmq-closer';

const BULL_CONNECTION = Symbol('BULL_CONNECTION');

/**
 * Closes the `Cluster` that BullMQ shares in cluster mode (BullMQ never closes a connection it was given).
 * Nest shuts global modules down last, and this one after the BullMQ modules it imports: workers and queues
 * have stopped using the connection by then.
 */
@Injectable()
class BullConnectionCloser implements OnApplicationShutdown {
  constructor(@Inject(BULL_CONNECTION) private readonly connection: unknown) {}

  async onApplicationShutdown(): Promise<void> {
    if (!(this.connection instanceof Cluster)) return;
    await (this.connection.status === 'ready' ? this.connection.quit() : this.connection.disconnect());
  }
}

/** BullMQ's connection, every queue, typed enqueueing and the job-handler check. */
@Global()
@Module({})
export class QueueModule {
  static forRoot(config: AppConfig): DynamicModule {
    const queues = BullModule.registerQueue(...Object.values(QueueName).map((name) => ({ name })));
    const connection = createBullConnection(config);
    return {
      module: QueueModule,
      imports: [
        // BullMQ's blocking commands need unlimited retries; the prefix keeps runs and deployments apart
        // (and, in a Redis Cluster, holds the hash tag that keeps each queue's keys in one slot).
        BullModule.forRoot({ connection, prefix: bullPrefix(config) }),
        queues,
        DiscoveryModule,
      ],
      providers: [
        QueueService,
        JobHandlersRegistry,
        WorkerErrorsListener,
        BullmqCloser,
        { provide: BULL_CONNECTION, useValue: connection },
        BullConnectionCloser,
      ],
      exports: [BullModule, queues, QueueService, JobHandlersRegistry],
    };
  }
}
