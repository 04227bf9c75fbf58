import { createSecretKey } from 'node:crypto';
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { AppConfig } from '@/common/config/app-config';
import { SESSION_REVOCATION, SessionRevocation } from '@/modules/accounts/accounts.ports';
import { AccountTokensModule } from '@/modules/accounts/tokens/account-tokens.module';
import { ReferralsModule } from '@/modules/referrals/referrals.module';
import { UsersModule } from '@/modules/users/users.module';
import { AccessTokenGuard } from './access-token.guard';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { Session } from './entities/session.entity';
import { UserOAuthIdentity } from './entities/user-oauth-identity.entity';
import { GoogleAuthController } from './google/google-auth.controller';
import { GOOGLE_AUTH_PROVIDERS } from './google/google-auth.providers';
import { SessionsService } from './sessions.service';
import { TokensService } from './tokens.service';

@Module({
  imports: [
    MikroOrmModule.forFeature([Session, UserOAuthIdentity]),
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        // A KeyObject, not the string: jsonwebtoken otherwise re-derives the key on every check, first trying it as
        // a public key (which throws), a measured 6-12% of the service's CPU.
        secret: createSecretKey(Buffer.from(config.auth.jwtSecret)) as unknown as string,
        signOptions: { algorithm: 'HS256' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
    UsersModule,
    ReferralsModule,
    AccountTokensModule,
  ],
  controllers: [AuthController, GoogleAuthController],
  providers: [
    TokensService,
    SessionsService,
    AuthService,
    { provide: APP_GUARD, useClass: AccessTokenGuard },
    ...GOOGLE_AUTH_PROVIDERS,
    // Accounts' port, bound by the app root (AccountsModule.forRoot).
    { provide: SESSION_REVOCATION, useFactory: (sessions: SessionsService): SessionRevocation => sessions, inject: [SessionsService] },
  ],
  exports: [SessionsService, AuthService, TokensService, SESSION_REVOCATION],
})
export class AuthModule {}
