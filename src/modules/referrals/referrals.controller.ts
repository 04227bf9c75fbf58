import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser } from '@/common/auth/auth-user';
import { CurrentUser, Public } from '@/common/auth/auth.decorators';
import { PageQuery } from '@/common/http/pagination';
import { ApiProblems } from '@/common/openapi/api-problems.decorator';
import {
  CreateReferralCodeDto,
  ReferralCodeCheckResponse,
  ReferralCodeListResponse,
  ReferralCodeResponse,
  ReferralPageResponse,
} from './dto/referrals.dto';
import { ReferralsService } from './referrals.service';

@ApiTags('referrals')
@ApiBearerAuth()
@Controller()
export class ReferralsController {
  constructor(private readonly referrals: ReferralsService) {}

  @Post('referral-codes')
  @ApiCreatedResponse({ type: ReferralCodeResponse })
  @ApiProblems([409, 'That code is taken (`conflict`)'], [422, '`expires_at` is not in the future (`validation_failed`)'])
  create(@CurrentUser() actor: AuthUser, @Body() dto: CreateReferralCodeDto) {
    return this.referrals.create(actor, dto);
  }

  @Get('referral-codes')
  @ApiOkResponse({ type: ReferralCodeListResponse })
  list(@CurrentUser() actor: AuthUser) {
    return this.referrals.listOwn(actor);
  }

  @Public()
  @Get('referral-codes/:code')
  @ApiOkResponse({ type: ReferralCodeCheckResponse, description: 'Always 200; `valid` says whether registration would accept it' })
  check(@Param('code') code: string) {
    return this.referrals.check(code.slice(0, 64));
  }

  @Delete('referral-codes/:code')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'The code stops working; referrals made with it stay' })
  @ApiProblems([404, 'No such code of yours (`not_found`)'])
  async remove(@CurrentUser() actor: AuthUser, @Param('code') code: string) {
    await this.referrals.remove(actor, code.slice(0, 64));
  }

  @Get('me/referrals')
  @ApiOkResponse({ type: ReferralPageResponse })
  referralsOfMine(@CurrentUser() actor: AuthUser, @Query() query: PageQuery) {
    return this.referrals.listReferrals(actor, query);
  }
}
