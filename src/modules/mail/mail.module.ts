import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '@/common/config/app-config';
import { outboxProcessor } from '@/common/outbox/outbox.processor';
import { QueueName } from '@/common/queue/queue-names';
import { MailTransport } from './mail-transport';
import { MailService } from './mail.service';

/** `MailService.request` for every feature; the `mail` queue's processor only where workers run (`APP_ROLE`). */
@Module({})
export class MailModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: MailModule,
      global: true,
      providers: [MailTransport, MailService, ...(config.runsWorkers ? [outboxProcessor(QueueName.Mail)] : [])],
      exports: [MailService],
    };
  }
}
