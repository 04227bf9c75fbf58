import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { AppConfig } from '@/common/config/app-config';
import { SESSION_REVOCATION, SessionRevocation, SIGN_IN_RECENCY, SignInRecency } from '@/modules/accounts/accounts.ports';
import { AccountTokensModule } from '@/modules/accounts/tokens/account-tokens.module';
import { ReferralsModule } from '@/modules/referrals/referrals.module';
import { UsersModule } from '@/modules/users/users.module';
import { accessTokenKey } from './access-token';
import { AccessTokenGuard } from './access-token.guard';
import { AuthAccountDataService } from './auth-account-data.service';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { Session } from './entities/session.entity';
import { UserOAuthIdentity } from './entities/user-oauth-identity.entity';
import { GoogleAuthController } from './google/google-auth.controller';
import { GOOGLE_AUTH_PROVIDERS } from './google/google-auth.providers';
import { JwtStrategy } from './jwt.strategy';
import { PasswordChangeService } from './password-change.service';
import { RevocationFeed } from './revocation-feed.service';
import { SessionsService } from './sessions.service';
import { ACCESS_TOKEN_ALGORITHMS, TokensService } from './tokens.service';

@Module({
  imports: [
    MikroOrmModule.forFeature([Session, UserOAuthIdentity]),
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        // The KeyObject the `jwt` strategy checks with (see accessTokenKey); @nestjs/jwt types it as string | Buffer.
        secret: accessTokenKey(config) as unknown as string,
        signOptions: { algorithm: ACCESS_TOKEN_ALGORITHMS[0] },
        verifyOptions: { algorithms: [...ACCESS_TOKEN_ALGORITHMS] },
      }),
    }),
    UsersModule,
    ReferralsModule,
    AccountTokensModule,
  ],
  controllers: [AuthController, GoogleAuthController],
  providers: [
    TokensService,
    RevocationFeed,
    SessionsService,
    JwtStrategy,
    AuthService,
    PasswordChangeService,
    AuthAccountDataService,
    { provide: APP_GUARD, useClass: AccessTokenGuard },
    ...GOOGLE_AUTH_PROVIDERS,
    // Accounts' port, bound by the app root (AccountsModule.forRoot).
    { provide: SESSION_REVOCATION, useFactory: (sessions: SessionsService): SessionRevocation => sessions, inject: [SessionsService] },
    { provide: SIGN_IN_RECENCY, useFactory: (sessions: SessionsService): SignInRecency => sessions, inject: [SessionsService] },
  ],
  exports: [SessionsService, AuthService, TokensService, SESSION_REVOCATION, SIGN_IN_RECENCY],
})
export class AuthModule {}
