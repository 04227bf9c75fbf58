import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig } from '@/common/config/app-config';
import { MailTransport } from './mail-transport';
import { MailProcessor } from './mail.processor';
import { MailService } from './mail.service';

/** `MailService.request` for every feature; the sending worker only where workers run (`APP_ROLE`). */
@Module({})
export class MailModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: MailModule,
      global: true,
      providers: [MailTransport, MailService, ...(config.runsWorkers ? [MailProcessor] : [])],
      exports: [MailService],
    };
  }
}
