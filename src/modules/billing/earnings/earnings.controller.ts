import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { AuthUser } from '@/common/auth/auth-user';
import { CurrentUser } from '@/common/auth/auth.decorators';
import { EarningsResponse } from '../dto/earnings.dto';
import { EarningsService } from './earnings.service';

@ApiTags('billing')
@ApiBearerAuth()
@Controller()
export class EarningsController {
  constructor(private readonly earnings: EarningsService) {}

  @Get('me/earnings')
  @ApiOkResponse({
    type: EarningsResponse,
    description: "The caller's earnings as a creator, from the payments the Stripe webhook recorded: MRR, lifetime totals, the last 12 UTC months",
  })
  @ApiUnauthorizedResponse({ description: 'No valid access token' })
  mine(@CurrentUser() actor: AuthUser) {
    return this.earnings.forCreator(actor);
  }
}
