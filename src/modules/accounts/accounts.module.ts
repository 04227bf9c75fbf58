import { DynamicModule, Module, ModuleMetadata } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { AppConfig } from '@/common/config/app-config';
import { outboxProcessor } from '@/common/outbox/outbox.processor';
import { QueueName } from '@/common/queue/queue-names';
import { MailModule } from '@/modules/mail/mail.module';
import { MediaModule } from '@/modules/media/media.module';
import { UsersModule } from '@/modules/users/users.module';
import { AccountDeletionService } from './account-deletion.service';
import { AccountEraser } from './account-eraser.service';
import { AccountLifecycleController } from './account-lifecycle.controller';
import { EmailAndPasswordController } from './email-and-password.controller';
import { EmailVerificationService } from './email-verification.service';
import { AccountDeletion } from './entities/account-deletion.entity';
import { AccountExport } from './entities/account-export.entity';
import { ExportBuilder } from './export-builder.service';
import { ExportDelivery } from './export-delivery.service';
import { ExportLinks } from './export-links';
import { ExportsService } from './exports.service';
import { PasswordResetService, ResetLinkMailer } from './password-reset.service';
import { AccountTokensModule } from './tokens/account-tokens.module';

/** The account lifecycle: verified email, password reset, email change, deletion and data export. */
@Module({})
export class AccountsModule {
  /** `ports`: modules exporting accounts.ports.ts's tokens (`SESSION_REVOCATION`, `SIGN_IN_RECENCY` from auth), passed by the app root. */
  static forRoot(config: AppConfig, ports: NonNullable<ModuleMetadata['imports']>): DynamicModule {
    return {
      module: AccountsModule,
      imports: [MikroOrmModule.forFeature([AccountDeletion, AccountExport]), AccountTokensModule, MailModule, UsersModule, MediaModule, ...ports],
      controllers: config.runsApi ? [EmailAndPasswordController, AccountLifecycleController] : [],
      providers: [
        EmailVerificationService,
        PasswordResetService,
        ResetLinkMailer,
        AccountDeletionService,
        AccountEraser,
        ExportLinks,
        ExportsService,
        ExportBuilder,
        ExportDelivery,
        ...(config.runsWorkers ? [outboxProcessor(QueueName.Accounts)] : []),
      ],
    };
  }
}
