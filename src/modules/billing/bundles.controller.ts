import { Body, Controller, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser } from '@/common/auth/auth-user';
import { CurrentUser } from '@/common/auth/auth.decorators';
import { ApiProblems } from '@/common/openapi/api-problems.decorator';
import { BundleSetResponse, PutBundlesDto } from './dto/bundle.dto';
import { BundlesService } from './bundles.service';

/** A creator's bundles (docs/billing.md#bundles); listed with the tiers (`GET /users/:username/tiers`). */
@ApiTags('billing')
@ApiBearerAuth()
@Controller()
export class BundlesController {
  constructor(private readonly bundles: BundlesService) {}

  @Put('me/bundles')
  @ApiOkResponse({ type: BundleSetResponse, description: 'The new set, by months: it replaces the previous one' })
  @ApiProblems([422, 'months not 3, 6 or 12, a discount outside 1-50, or two bundles of the same length (field `bundles`)'])
  replace(@CurrentUser() actor: AuthUser, @Body() dto: PutBundlesDto) {
    return this.bundles.replace(actor, dto);
  }
}
