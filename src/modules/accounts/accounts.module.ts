import { DynamicModule, Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { AppConfig } from '@/common/config/app-config';
import { AuthModule } from '@/modules/auth/auth.module';
import { UsersModule } from '@/modules/users/users.module';
import { EmailAndPasswordController } from './email-and-password.controller';
import { EmailVerificationService } from './email-verification.service';
import { AccountDeletion } from './entities/account-deletion.entity';
import { AccountExport } from './entities/account-export.entity';
import { PasswordResetService, ResetLinkMailer } from './password-reset.service';
import { AccountTokensModule } from './tokens/account-tokens.module';

/** The account lifecycle: verified email, password reset, email change, deletion and data export. */
@Module({})
export class AccountsModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AccountsModule,
      imports: [MikroOrmModule.forFeature([AccountDeletion, AccountExport]), AccountTokensModule, AuthModule, UsersModule],
      controllers: config.runsApi ? [EmailAndPasswordController] : [],
      providers: [EmailVerificationService, PasswordResetService, ResetLinkMailer],
    };
  }
}
