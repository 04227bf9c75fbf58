import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser } from '@/common/auth/auth-user';
import { CurrentUser, Public } from '@/common/auth/auth.decorators';
import { IdParam } from '@/common/http/id.param';
import { ApiProblems, ProblemEntry } from '@/common/openapi/api-problems.decorator';
import { UsernameParam } from '@/modules/users/dto/username.param';
import { CreateTierDto, TierListResponse, TierResponse, UpdateTierDto } from './dto/tier.dto';
import { TiersService } from './tiers.service';

const TIER_PROBLEMS: ProblemEntry = [
  422,
  'A sixth non-archived tier (field `tiers`), a yearly price above 12 × monthly (field `yearly_price_cents`), or (field `payouts`, CONNECT_REQUIRED=true) a payout account that cannot take payments',
];

/** A creator's tiers (docs/billing.md#tiers). */
@ApiTags('billing')
@ApiBearerAuth()
@Controller()
export class TiersController {
  constructor(private readonly tiers: TiersService) {}

  @Public()
  @Get('users/:username/tiers')
  @ApiOkResponse({ type: TierListResponse, description: 'The non-archived tiers by position; `subscribers_count` only for the creator' })
  @ApiProblems([404, 'No such user (`not_found`)'])
  list(@CurrentUser() viewer: AuthUser | undefined, @Param() { username }: UsernameParam) {
    return this.tiers.list(viewer, username);
  }

  @Post('me/tiers')
  @ApiCreatedResponse({ type: TierResponse })
  @ApiProblems(TIER_PROBLEMS)
  create(@CurrentUser() actor: AuthUser, @Body() dto: CreateTierDto) {
    return this.tiers.create(actor, dto);
  }

  @Patch('me/tiers/:id')
  @ApiOkResponse({ type: TierResponse, description: 'A new price applies to new subscriptions; current subscribers keep theirs until they change tier' })
  @ApiProblems([404, 'No such tier of yours (`not_found`)'], TIER_PROBLEMS)
  update(@CurrentUser() actor: AuthUser, @Param() { id }: IdParam, @Body() dto: UpdateTierDto) {
    return this.tiers.update(actor, id, dto);
  }

  @Delete('me/tiers/:id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Archived: no new subscriptions; current subscribers keep access until they cancel' })
  @ApiProblems([404, 'No such tier of yours (`not_found`)'])
  async archive(@CurrentUser() actor: AuthUser, @Param() { id }: IdParam) {
    await this.tiers.archive(actor, id);
  }
}
