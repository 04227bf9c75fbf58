import { DynamicModule, Module, ModuleMetadata } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { AppConfig } from '@/common/config/app-config';
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
  /** `ports`: modules exporting accounts.ports.ts's tokens (`SESSION_REVOCATION` from auth), passed by the app root. */
  static forRoot(config: AppConfig, ports: NonNullable<ModuleMetadata['imports']>): DynamicModule {
    return {
      module: AccountsModule,
      imports: [MikroOrmModule.forFeature([AccountDeletion, AccountExport]), AccountTokensModule, UsersModule, ...ports],
      controllers: config.runsApi ? [EmailAndPasswordController] : [],
      providers: [EmailVerificationService, PasswordResetService, ResetLinkMailer],
    };
  }
}
