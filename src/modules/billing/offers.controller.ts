import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser } from '@/common/auth/auth-user';
import { CurrentUser, Public } from '@/common/auth/auth.decorators';
import { ApiProblems } from '@/common/openapi/api-problems.decorator';
import { RateLimit } from '@/common/rate-limit/rate-limit.decorator';
import { CreateOfferDto, OfferCodeParam, OfferListResponse, OfferLookupResponse, OfferResponse, OwnOfferCodeParam } from './dto/offer.dto';
import { OffersService } from './offers.service';

/** A creator's offers (docs/billing.md#offers). */
@ApiTags('billing')
@ApiBearerAuth()
@Controller()
export class OffersController {
  constructor(private readonly offers: OffersService) {}

  @Post('me/offers')
  @ApiCreatedResponse({ type: OfferResponse })
  @ApiProblems(
    [409, 'You already have an offer with this code (`conflict`)'],
    [422, 'A field its kind or duration needs (or does not take), a tier not yours, `amount_off_cents` not below the cheapest tier, a past `expires_at`, or a 101st offer (field `code`)'],
  )
  create(@CurrentUser() actor: AuthUser, @Body() dto: CreateOfferDto) {
    return this.offers.create(actor, dto);
  }

  @Get('me/offers')
  @ApiOkResponse({ type: OfferListResponse, description: 'Your offers not deleted, newest first, with their redemptions' })
  list(@CurrentUser() actor: AuthUser) {
    return this.offers.list(actor);
  }

  @Delete('me/offers/:code')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'No new redemptions; subscriptions bought with it keep their discount' })
  @ApiProblems([404, 'No such offer of yours (`not_found`)'])
  async remove(@CurrentUser() actor: AuthUser, @Param() { code }: OwnOfferCodeParam) {
    await this.offers.remove(actor, code);
  }

  @Public()
  @Get('users/:username/offers/:code')
  @RateLimit('offerLookup')
  @ApiOkResponse({ type: OfferLookupResponse, description: 'Always 200: `valid`, or the `reason` it is not (`not_eligible`: the signed-in viewer is outside its audience)' })
  @ApiProblems([404, 'No such user (`not_found`)'], [429, 'Too many lookups (`RATE_LIMIT_OFFER_LOOKUP`)'])
  lookup(@CurrentUser() viewer: AuthUser | undefined, @Param() { username, code }: OfferCodeParam) {
    return this.offers.lookup(viewer, username, code);
  }
}
