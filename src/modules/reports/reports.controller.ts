import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AuthUser } from '@/common/auth/auth-user';
import { CurrentUser, Roles } from '@/common/auth/auth.decorators';
import { RateLimit } from '@/common/rate-limit/rate-limit.decorator';
import { AdminReportPageResponse, AdminReportResponse, CreateReportDto, ReportCreatedResponse, ReportIdParam, ReportQueueQuery, ResolveReportDto } from './dto/reports.dto';
import { ReportModerationService } from './report-moderation.service';
import { ReportsService } from './reports.service';

@ApiTags('trust and safety')
@ApiBearerAuth()
@Controller('reports')
export class ReportsController {
  constructor(private readonly reports: ReportsService) {}

  @Post()
  @HttpCode(201)
  @RateLimit('report')
  @ApiCreatedResponse({ type: ReportCreatedResponse })
  @ApiOkResponse({ type: ReportCreatedResponse, description: 'This target is already reported by you and open: that report' })
  @ApiNotFoundResponse({ description: 'No such post or user (or not visible to you)' })
  @ApiUnprocessableEntityResponse({ description: 'Neither or both of `post_id` and `username`; reporting yourself' })
  async create(@CurrentUser() actor: AuthUser, @Body() dto: CreateReportDto, @Res({ passthrough: true }) reply: FastifyReply) {
    const { report, created } = await this.reports.create(actor, dto);
    if (!created) void reply.status(200);
    return report;
  }
}

@ApiTags('admin')
@ApiBearerAuth()
@ApiForbiddenResponse({ description: 'Not an admin (`forbidden`)' })
@Roles('admin')
@Controller('admin/reports')
export class AdminReportsController {
  constructor(private readonly moderation: ReportModerationService) {}

  @Get()
  @ApiOkResponse({ type: AdminReportPageResponse, description: 'Newest first; open reports grouped by target (`reports_count`)' })
  queue(@Query() query: ReportQueueQuery) {
    return this.moderation.queue(query);
  }

  @Post(':id/resolve')
  @HttpCode(200)
  @ApiOkResponse({ type: AdminReportResponse, description: 'Resolved with every other open report on its target; the action applied' })
  @ApiNotFoundResponse({ description: 'No such report' })
  @ApiConflictResponse({ description: 'Already resolved' })
  @ApiUnprocessableEntityResponse({ description: '`remove_post` on a report about an account; suspending yourself' })
  resolve(@CurrentUser() actor: AuthUser, @Param() { id }: ReportIdParam, @Body() dto: ResolveReportDto) {
    return this.moderation.resolve(actor, id, dto);
  }
}
