import { Module } from '@nestjs/common';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { UsersModule } from '@/modules/users/users.module';
import { AccountToken } from '../entities/account-token.entity';
import { AccountTokensService } from './account-tokens.service';
import { VerificationMailer } from './verification-mailer.service';

/** Mailed tokens and the verification mail (also for registrations, through the `user.registered` event). */
@Module({
  imports: [MikroOrmModule.forFeature([AccountToken]), UsersModule],
  providers: [AccountTokensService, VerificationMailer],
  exports: [AccountTokensService, VerificationMailer],
})
export class AccountTokensModule {}
