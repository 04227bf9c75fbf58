import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Roles } from '@/common/auth/auth.decorators';
import { ApiProblems } from '@/common/openapi/api-problems.decorator';
import { ReconciliationRangeDto, ReconciliationReportResponse } from './dto/reconciliation.dto';
import { parseRange, ReconciliationService } from './reconciliation.service';

@ApiTags('admin')
@ApiBearerAuth()
@ApiForbiddenResponse({ description: 'Not an admin (`forbidden`)' })
@ApiProblems([422, '`to` not after `from`, or more than 92 days after it'], 502, 503)
@Roles('admin')
@Controller('admin/reconciliation')
export class ReconciliationController {
  constructor(private readonly reconciliation: ReconciliationService) {}

  @Get()
  @ApiOkResponse({ type: ReconciliationReportResponse, description: "Stripe's money movements of the window against the earnings ledger" })
  report(@Query() range: ReconciliationRangeDto) {
    return this.reconciliation.report(parseRange(range));
  }

  @Post('repair')
  @HttpCode(200)
  @ApiOkResponse({ type: ReconciliationReportResponse, description: "The window's Stripe events the ledger lacks recorded and applied (idempotent), then the report" })
  async repair(@Body() range: ReconciliationRangeDto) {
    return (await this.reconciliation.repair(parseRange(range))).report;
  }
}
