import { Body, Controller, Get, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthUser } from '@/common/auth/auth-user';
import { CurrentUser } from '@/common/auth/auth.decorators';
import { MarkReadDto, NotificationPageResponse, NotificationQuery, UnreadCountResponse } from './dto/notifications.dto';
import { NotificationStreamService } from './notification-stream.service';
import { NotificationsService } from './notifications.service';

@ApiTags('notifications')
@ApiBearerAuth()
@Controller()
export class NotificationsController {
  constructor(
    private readonly notifications: NotificationsService,
    private readonly stream: NotificationStreamService,
  ) {}

  @Get('notifications')
  @ApiOkResponse({ type: NotificationPageResponse, description: 'Newest first; `types[]` and `unread=true` filter' })
  list(@CurrentUser() actor: AuthUser, @Query() query: NotificationQuery) {
    return this.notifications.list(actor, query);
  }

  @Get('notifications/unread_count')
  @ApiOkResponse({ type: UnreadCountResponse })
  unreadCount(@CurrentUser() actor: AuthUser) {
    return this.notifications.unreadCount(actor);
  }

  @Post('notifications/read')
  @HttpCode(204)
  @ApiNoContentResponse({ description: '`ids`, or `up_to_id` (that one and older), or neither for all' })
  async markRead(@CurrentUser() actor: AuthUser, @Body() dto: MarkReadDto) {
    await this.notifications.markRead(actor, dto);
  }

  @Get('streaming/notifications')
  @ApiProduces('text/event-stream')
  @ApiQuery({ name: 'access_token', required: false, description: 'For EventSource, which cannot send headers' })
  @ApiOkResponse({
    schema: { type: 'string' },
    description: 'Server-Sent Events: `event: notification` with the notification as JSON; `: ping` heartbeats',
  })
  async streamNotifications(@CurrentUser() actor: AuthUser, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    await this.stream.open(actor, request, reply);
  }
}
