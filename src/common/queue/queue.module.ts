import { DynamicModule, Global, Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { AppConfig } from '../config/app-config';
import { redisOptions } from '../redis/redis.factory';
import { JobHandlersRegistry } from './job-handlers.registry';
import { QueueName } from './queue-names';
import { QueueService } from './queue.service';

/** BullMQ's connection, every queue, typed enqueueing and the job-handler check. */
@Global()
@Module({})
export class QueueModule {
  static forRoot(config: AppConfig): DynamicModule {
    const queues = BullModule.registerQueue(...Object.values(QueueName).map((name) => ({ name })));
    return {
      module: QueueModule,
      imports: [
        BullModule.forRoot({
          // BullMQ's blocking commands need unlimited retries; the prefix keeps runs and deployments apart.
          connection: redisOptions(config, { maxRetriesPerRequest: null, connectionName: `x18-bullmq-${config.role}` }),
          prefix: `${config.redis.prefix}:bull`,
        }),
        queues,
      ],
      providers: [QueueService, JobHandlersRegistry],
      exports: [BullModule, queues, QueueService, JobHandlersRegistry],
    };
  }
}
