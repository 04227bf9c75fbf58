import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { RateLimitGuard } from './rate-limit.guard';

/** The named limits of the contract; each is configured by its `RATE_LIMIT_*` variable. */
export type RateLimitName =
  | 'loginIp'
  | 'loginAccount'
  | 'registerIp'
  | 'refreshSession'
  | 'mediaUpload'
  | 'postCreate'
  | 'email'
  | 'passwordReset'
  | 'passwordResetIp'
  | 'report'
  | 'message'
  | 'offerLookup'
  | 'giftRedeem';

export const RATE_LIMITS_KEY = 'x18:rate-limits';

/**
 * Applies these limits to a route. A route guard, so it runs after authentication and can count by user.
 * Routes without it are not limited.
 */
export const RateLimit = (...names: RateLimitName[]) => applyDecorators(SetMetadata(RATE_LIMITS_KEY, names), UseGuards(RateLimitGuard));
