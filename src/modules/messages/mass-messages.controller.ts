import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser } from '@/common/auth/auth-user';
import { CurrentUser } from '@/common/auth/auth.decorators';
import { IdParam } from '@/common/http/id.param';
import { PageQuery } from '@/common/http/pagination';
import { ApiProblems } from '@/common/openapi/api-problems.decorator';
import { RateLimit } from '@/common/rate-limit/rate-limit.decorator';
import { MassMessagePageResponse, MassMessageResponse, SendMassMessageDto } from './dto/mass-messages.dto';
import { MassMessageReadsService } from './mass-message-reads.service';
import { MassMessagesService } from './mass-messages.service';

const NOT_YOURS = 'No such mass message, or not yours (anyone but its sender gets this)';

@ApiTags('messages')
@ApiBearerAuth()
@Controller('messages/mass')
export class MassMessagesController {
  constructor(
    private readonly massMessages: MassMessagesService,
    private readonly reads: MassMessageReadsService,
  ) {}

  @Post()
  @HttpCode(202)
  @RateLimit('message')
  @ApiAcceptedResponse({ type: MassMessageResponse, description: 'Recorded: `sending` now (fanned out by a worker), or `scheduled`' })
  @ApiProblems([
    422,
    'Neither content nor media; `media_ids` that are not own, ready, unattached uploads; a `price_cents` without a payout account that can take payments ' +
      '(CONNECT_REQUIRED=true); `scheduled_at` not in the future; an `audience` segment that is not yours (`unknown_segment`: any `tier:<id>` for now, ' +
      'another account\'s `list:<id>`)',
  ])
  async send(@CurrentUser() actor: AuthUser, @Body() dto: SendMassMessageDto) {
    const id = await this.massMessages.send(actor, dto);
    return this.reads.get(actor, id);
  }

  @Get()
  @ApiOkResponse({ type: MassMessagePageResponse, description: 'Your mass messages with their figures, newest first' })
  list(@CurrentUser() actor: AuthUser, @Query() query: PageQuery) {
    return this.reads.page(actor, query);
  }

  @Get(':id')
  @ApiOkResponse({ type: MassMessageResponse })
  @ApiNotFoundResponse({ description: NOT_YOURS })
  get(@CurrentUser() actor: AuthUser, @Param() { id }: IdParam) {
    return this.reads.get(actor, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Canceled (scheduled), or stopped and every copy nobody bought unsent (buyers keep theirs)' })
  @ApiNotFoundResponse({ description: NOT_YOURS })
  async cancel(@CurrentUser() actor: AuthUser, @Param() { id }: IdParam) {
    await this.massMessages.cancel(actor, id);
  }
}
