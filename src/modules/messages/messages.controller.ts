import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AuthUser } from '@/common/auth/auth-user';
import { CurrentUser } from '@/common/auth/auth.decorators';
import { IdParam } from '@/common/http/id.param';
import { PageQuery } from '@/common/http/pagination';
import { ApiProblems } from '@/common/openapi/api-problems.decorator';
import { RateLimit } from '@/common/rate-limit/rate-limit.decorator';
import { ConversationsService } from './conversations.service';
import {
  ConversationPageResponse,
  ConversationResponse,
  ConversationsQuery,
  MessagePageResponse,
  MessageResponse,
  PutWelcomeMessageDto,
  ReadConversationDto,
  SendMessageDto,
  StartConversationDto,
  UnreadMessagesCountResponse,
  WelcomeMessageResponse,
} from './dto/messages.dto';
import { MessagesService } from './messages.service';
import { WelcomeMessagesService } from './welcome-messages.service';

const NOT_YOURS = 'No such conversation, or not yours (anyone but its two participants gets this)';

@ApiTags('messages')
@ApiBearerAuth()
@Controller('conversations')
export class ConversationsController {
  constructor(
    private readonly conversations: ConversationsService,
    private readonly messages: MessagesService,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiCreatedResponse({ type: ConversationResponse, description: 'A new conversation' })
  @ApiOkResponse({ type: ConversationResponse, description: 'The existing conversation with this account' })
  @ApiNotFoundResponse({ description: 'No such active account' })
  @ApiProblems([403, 'A block either way, or their `dm_policy` excludes you'], [422, 'Yourself'])
  async start(@CurrentUser() actor: AuthUser, @Body() dto: StartConversationDto, @Res({ passthrough: true }) reply: FastifyReply) {
    const { conversation, created } = await this.conversations.start(actor, dto.username);
    if (!created) void reply.status(200);
    return conversation;
  }

  @Get()
  @ApiOkResponse({ type: ConversationPageResponse, description: 'Newest activity first' })
  list(@CurrentUser() actor: AuthUser, @Query() query: ConversationsQuery) {
    return this.conversations.list(actor, query);
  }

  @Get('unread_count')
  @ApiOkResponse({ type: UnreadMessagesCountResponse })
  unreadCount(@CurrentUser() actor: AuthUser) {
    return this.conversations.unreadCount(actor);
  }

  @Get(':id/messages')
  @ApiOkResponse({ type: MessagePageResponse, description: 'Newest first, each as you may see it' })
  @ApiNotFoundResponse({ description: NOT_YOURS })
  page(@CurrentUser() actor: AuthUser, @Param() { id }: IdParam, @Query() query: PageQuery) {
    return this.messages.page(actor, id, query);
  }

  @Post(':id/messages')
  @HttpCode(201)
  @RateLimit('message')
  @ApiCreatedResponse({ type: MessageResponse })
  @ApiNotFoundResponse({ description: NOT_YOURS })
  @ApiProblems(
    [403, 'A block either way, a suspended or deleted account, or their `dm_policy` excludes you (while the conversation is a request for them)'],
    [422, 'Neither content nor media; `media_ids` that are not own, ready, unattached uploads; a `price_cents` without a payout account that can take payments (CONNECT_REQUIRED=true)'],
  )
  send(@CurrentUser() actor: AuthUser, @Param() { id }: IdParam, @Body() dto: SendMessageDto) {
    return this.messages.send(actor, id, dto);
  }

  @Post(':id/accept')
  @HttpCode(200)
  @ApiOkResponse({ type: ConversationResponse, description: 'Active on your side from now' })
  @ApiNotFoundResponse({ description: NOT_YOURS })
  accept(@CurrentUser() actor: AuthUser, @Param() { id }: IdParam) {
    return this.conversations.accept(actor, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Hidden for you (a request: declined); a new message shows it again' })
  @ApiNotFoundResponse({ description: NOT_YOURS })
  async hide(@CurrentUser() actor: AuthUser, @Param() { id }: IdParam) {
    await this.conversations.hide(actor, id);
  }

  @Post(':id/read')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Read up to `up_to_id`, or everything' })
  @ApiNotFoundResponse({ description: `${NOT_YOURS}; or \`up_to_id\` is no message of it` })
  async read(@CurrentUser() actor: AuthUser, @Param() { id }: IdParam, @Body() dto: ReadConversationDto) {
    await this.conversations.read(actor, id, dto);
  }
}

@ApiTags('messages')
@ApiBearerAuth()
@Controller('messages')
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Unsent: no content or media for anyone but a buyer' })
  @ApiNotFoundResponse({ description: 'No such message of yours (or already unsent)' })
  async unsend(@CurrentUser() actor: AuthUser, @Param() { id }: IdParam) {
    await this.messages.unsend(actor, id);
  }
}

@ApiTags('messages')
@ApiBearerAuth()
@Controller('me/welcome-message')
export class WelcomeMessageController {
  constructor(private readonly welcome: WelcomeMessagesService) {}

  @Get()
  @ApiOkResponse({ type: WelcomeMessageResponse })
  @ApiNotFoundResponse({ description: 'No welcome message set yet' })
  get(@CurrentUser() actor: AuthUser) {
    return this.welcome.get(actor);
  }

  @Put()
  @HttpCode(200)
  @ApiOkResponse({ type: WelcomeMessageResponse, description: 'Set (replaced); sent once to each new subscriber while `enabled`' })
  @ApiProblems([422, 'Blank content; `media_ids` (not supported yet); a `price_cents` without a payout account that can take payments (CONNECT_REQUIRED=true)'])
  put(@CurrentUser() actor: AuthUser, @Body() dto: PutWelcomeMessageDto) {
    return this.welcome.put(actor, dto);
  }
}
