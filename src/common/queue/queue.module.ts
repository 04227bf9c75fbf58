import { DynamicModule, Global, Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { AppConfig } from '../config/app-config';
import { redisOptions } from '../redis/redis.factory';

/** BullMQ's shared connection settings; each feature registers its own queues and processors. */
@Global()
@Module({})
export class QueueModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: QueueModule,
      imports: [
        BullModule.forRoot({
          // BullMQ's blocking commands need unlimited retries; the prefix keeps runs and deployments apart.
          connection: redisOptions(config, { maxRetriesPerRequest: null, connectionName: `x18-bullmq-${config.role}` }),
          prefix: `${config.redis.prefix}:bull`,
        }),
      ],
      exports: [BullModule],
    };
  }
}
