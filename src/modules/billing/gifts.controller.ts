import { Body, Controller, Headers, HttpCode, Param, Post, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser } from '@/common/auth/auth-user';
import { CurrentUser } from '@/common/auth/auth.decorators';
import { IdempotencyInterceptor } from '@/common/idempotency/idempotency.interceptor';
import { ApiProblems } from '@/common/openapi/api-problems.decorator';
import { RateLimit } from '@/common/rate-limit/rate-limit.decorator';
import { UsernameParam } from '@/modules/users/dto/username.param';
import { CheckoutResponse } from './dto/billing.dto';
import { GiftDto, GiftResponse, RedeemGiftDto } from './dto/gift.dto';
import { GiftsService } from './gifts.service';

/** Gifts (docs/billing.md#gifts): a paid grant of a tier's access for some months, to an account or an e-mail address. */
@ApiTags('billing')
@ApiBearerAuth()
@Controller()
export class GiftsController {
  constructor(private readonly gifts: GiftsService) {}

  @Post('users/:username/gifts')
  @UseInterceptors(IdempotencyInterceptor)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A retry with the same key answers the same checkout session' })
  @ApiCreatedResponse({
    type: CheckoutResponse,
    description:
      "Stripe Checkout (payment mode, `metadata.gift`) for `months` × the tier's monthly price; once paid the recipient has the tier's access for `months` (after their running gift of this creator), renewing nothing, with a `gift_received` notification, or a mail with a redeem link for an address without an account",
  })
  @ApiProblems(
    [403, 'A block stands between you (or the recipient) and this creator (`forbidden`)'],
    [404, 'No such creator, or suspended (`not_found`)'],
    [422, 'A gift to yourself or to the creator, not exactly one recipient, an unknown recipient username (field `recipient_username`), or an unknown or archived tier (field `tier_id`)'],
    [503, 'Payments are not configured (`service_unavailable`)'],
  )
  give(@CurrentUser() actor: AuthUser, @Param() { username }: UsernameParam, @Body() dto: GiftDto, @Headers('idempotency-key') key?: string) {
    return this.gifts.give(actor, username, dto, key);
  }

  @Post('gifts/redeem')
  @HttpCode(200)
  @RateLimit('giftRedeem')
  @ApiOkResponse({ type: GiftResponse, description: 'The gift, now yours: its access starts now, or after your running gift of the same creator' })
  @ApiProblems([400, 'A used or unknown token (`invalid_token`)'], [429, 'Too many attempts (`RATE_LIMIT_GIFT_REDEEM`)'])
  redeem(@CurrentUser() actor: AuthUser, @Body() dto: RedeemGiftDto) {
    return this.gifts.redeem(actor, dto.token);
  }
}
