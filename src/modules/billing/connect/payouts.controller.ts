import { Controller, Get, Post } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { AuthUser } from '@/common/auth/auth-user';
import { CurrentUser } from '@/common/auth/auth.decorators';
import { OnboardingLinkResponse, PayoutAccountResponse } from '../dto/payouts.dto';
import { PayoutsOnboardingService } from './payouts-onboarding.service';

@ApiTags('payouts')
@ApiBearerAuth()
@Controller('me/payouts')
export class PayoutsController {
  constructor(private readonly onboarding: PayoutsOnboardingService) {}

  @Post('onboarding')
  @ApiCreatedResponse({
    type: OnboardingLinkResponse,
    description:
      "A Stripe onboarding link for the caller's Express account: created at the first call (metadata.user_id), reused after, and " +
      'created anew after the creator disconnected (account.application.deauthorized)',
  })
  @ApiServiceUnavailableResponse({ description: 'Stripe is not configured, or cannot be reached' })
  @ApiBadGatewayResponse({ description: 'Stripe failed' })
  start(@CurrentUser() actor: AuthUser) {
    return this.onboarding.onboard(actor);
  }

  @Get()
  @ApiOkResponse({ type: PayoutAccountResponse, description: "The caller's payout account, as Stripe's account.updated webhook last said" })
  @ApiNotFoundResponse({ description: 'Onboarding never started' })
  status(@CurrentUser() actor: AuthUser) {
    return this.onboarding.status(actor);
  }
}
