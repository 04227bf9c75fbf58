import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Roles } from '@/common/auth/auth.decorators';
import { PageQuery } from '@/common/http/pagination';
import { AuditService } from './audit.service';
import { AuditPageResponse } from './dto/audit.dto';

@ApiTags('admin')
@ApiBearerAuth()
@ApiForbiddenResponse({ description: 'Not an admin (`forbidden`)' })
@Roles('admin')
@Controller('admin/audit-log')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOkResponse({ type: AuditPageResponse, description: 'Every admin action, newest first; read-only' })
  list(@Query() query: PageQuery) {
    return this.audit.list(query);
  }
}
