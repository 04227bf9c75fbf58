import { Global, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../config/app-config';
import { KnownClients } from './known-clients';
import { LoginAccountResolver } from './login-account.resolver';
import { RateLimitGuard } from './rate-limit.guard';
import { LoginBudget } from './login-budget';
import { RedisService } from '../redis/redis.service';
import { RedisThrottlerStorage } from './redis-throttler.storage';

/** Global so any feature's `@RateLimit(...)` finds the guard and its storage. */
@Global()
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfig, RedisService],
      useFactory: (config: AppConfig, redis: RedisService) => ({
        storage: new RedisThrottlerStorage(redis),
        throttlers: Object.entries(config.rateLimits).map(([name, rule]) => ({
          name,
          limit: rule.limit,
          ttl: rule.windowSeconds * 1000,
        })),
      }),
    }),
  ],
  providers: [RateLimitGuard, LoginAccountResolver, LoginBudget, KnownClients],
  exports: [RateLimitGuard, LoginAccountResolver, LoginBudget, KnownClients, ThrottlerModule],
})
export class RateLimitModule {}
