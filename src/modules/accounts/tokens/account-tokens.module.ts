import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { MailModule } from '@/modules/mail/mail.module';
import { AccountToken } from '../entities/account-token.entity';
import { AccountTokensService } from './account-tokens.service';
import { VerificationMailer } from './verification-mailer.service';

/** Mailed tokens; a module of its own so that registration (auth) and the account routes (accounts) share it. */
@Module({
  imports: [MikroOrmModule.forFeature([AccountToken]), MailModule],
  providers: [AccountTokensService, VerificationMailer],
  exports: [AccountTokensService, VerificationMailer],
})
export class AccountTokensModule {}
