import { DynamicModule, Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { AppConfig } from '@/common/config/app-config';
import { AuthModule } from '@/modules/auth/auth.module';
import { MediaModule } from '@/modules/media/media.module';
import { UsersModule } from '@/modules/users/users.module';
import { AccountDeletionService, DeletionDeps } from './account-deletion.service';
import { AccountEraser } from './account-eraser.service';
import { AccountLifecycleController } from './account-lifecycle.controller';
import { AccountsProcessor } from './accounts.processor';
import { EmailAndPasswordController } from './email-and-password.controller';
import { EmailVerificationService } from './email-verification.service';
import { AccountDeletion } from './entities/account-deletion.entity';
import { AccountExport } from './entities/account-export.entity';
import { ExportBuilder } from './export-builder.service';
import { ExportLinks } from './export-links';
import { ExportsService } from './exports.service';
import { PasswordResetService, ResetLinkMailer } from './password-reset.service';
import { AccountTokensModule } from './tokens/account-tokens.module';

/**
 * The account lifecycle: verified email, password reset, email change, deletion and data export. Deletion and export
 * reach other modules' data only through the parts those modules register (AccountDataRegistry).
 */
@Module({})
export class AccountsModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AccountsModule,
      imports: [MikroOrmModule.forFeature([AccountDeletion, AccountExport]), AccountTokensModule, AuthModule, UsersModule, MediaModule],
      controllers: config.runsApi ? [EmailAndPasswordController, AccountLifecycleController] : [],
      providers: [
        EmailVerificationService,
        PasswordResetService,
        ResetLinkMailer,
        DeletionDeps,
        AccountDeletionService,
        AccountEraser,
        ExportLinks,
        ExportsService,
        ExportBuilder,
        ...(config.runsWorkers ? [AccountsProcessor] : []),
      ],
    };
  }
}
