import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '@/common/config/app-config';
import { outboxProcessor } from '@/common/outbox/outbox.processor';
import { QueueName } from '@/common/queue/queue-names';
import { MailTransport } from './mail-transport';
import { MailService } from './mail.service';

/**
 * `MailService.request`, imported by the modules that send mail (accounts, its tokens). The app imports
 * `MailModule.forRoot(config)`, which adds the `mail` queue's processor where workers run (`APP_ROLE`).
 */
@Module({
  providers: [MailTransport, MailService],
  exports: [MailService],
})
export class MailModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: MailWorkerModule,
      imports: [MailModule],
      providers: config.runsWorkers ? [outboxProcessor(QueueName.Mail)] : [],
    };
  }
}

/** The worker around `MailModule`, kept apart so the modules importing `MailModule` share one instance. */
@Module({})
class MailWorkerModule {}
