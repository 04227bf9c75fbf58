import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, UseInterceptors } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiHeader,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { AuthUser } from '@/common/auth/auth-user';
import { CurrentUser, Public } from '@/common/auth/auth.decorators';
import { PageQuery } from '@/common/http/pagination';
import { ApiProblems } from '@/common/openapi/api-problems.decorator';
import { IdempotencyInterceptor } from '@/common/idempotency/idempotency.interceptor';
import { RateLimit } from '@/common/rate-limit/rate-limit.decorator';
import { UserPageResponse } from '@/modules/social/dto/social.dto';
import { CreatePostDto, PostIdParam, PostPageResponse, PostResponse, ThreadResponse, UpdatePostDto } from './dto/post.dto';
import { PostAuthoringService } from './post-authoring.service';
import { PostInteractionsService } from './post-interactions.service';
import { PostsService } from './posts.service';

@ApiTags('posts')
@ApiBearerAuth()
@Controller('posts')
export class PostsController {
  constructor(
    private readonly posts: PostsService,
    private readonly authoring: PostAuthoringService,
    private readonly interactions: PostInteractionsService,
  ) {}

  @Post()
  @RateLimit('postCreate')
  @UseInterceptors(IdempotencyInterceptor)
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'A repeat within 24 h answers the first response' })
  @ApiCreatedResponse({ type: PostResponse })
  @ApiProblems(
    [404, '`reply_to_id` names no post the caller may see'],
    [422, 'Neither content nor media, or `media_ids` that are not own, ready, unattached uploads; or a `price_cents` without a payout account that can take payments (field `payouts`, CONNECT_REQUIRED=true)'],
  )
  async create(@CurrentUser() actor: AuthUser, @Body() dto: CreatePostDto) {
    return this.posts.get(actor, await this.authoring.create(actor, dto));
  }

  @Public()
  @Get(':id')
  @ApiOkResponse({ type: PostResponse })
  @ApiNotFoundResponse({ description: 'No such post, deleted, or not visible to the viewer' })
  get(@CurrentUser() viewer: AuthUser | undefined, @Param() { id }: PostIdParam) {
    return this.posts.get(viewer, id);
  }

  @Patch(':id')
  @ApiOkResponse({ type: PostResponse, description: 'Author only; sets edited_at' })
  @ApiProblems([403, 'Not the author (`forbidden`)'], [422, 'A repost has no content to edit; a `min_tier_id` that is not one of your non-archived tiers'])
  async update(@CurrentUser() actor: AuthUser, @Param() { id }: PostIdParam, @Body() dto: UpdatePostDto) {
    return this.posts.get(actor, await this.authoring.update(actor, id, dto));
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiNoContentResponse({ description: 'Author or admin; replies stay' })
  @ApiProblems([403, 'Neither the author nor an admin (`forbidden`)'])
  async remove(@CurrentUser() actor: AuthUser, @Param() { id }: PostIdParam) {
    await this.authoring.remove(actor, id);
  }

  @Public()
  @Get(':id/replies')
  @ApiOkResponse({ type: PostPageResponse, description: 'Direct replies, oldest first' })
  replies(@CurrentUser() viewer: AuthUser | undefined, @Param() { id }: PostIdParam, @Query() query: PageQuery) {
    return this.posts.replies(viewer, id, query);
  }

  @Public()
  @Get(':id/thread')
  @ApiOkResponse({ type: ThreadResponse })
  thread(@CurrentUser() viewer: AuthUser | undefined, @Param() { id }: PostIdParam) {
    return this.posts.thread(viewer, id);
  }

  @Post(':id/like')
  @HttpCode(200)
  @ApiOkResponse({ type: PostResponse, description: 'Idempotent; counted once per user' })
  like(@CurrentUser() actor: AuthUser, @Param() { id }: PostIdParam) {
    return this.interactions.like(actor, id);
  }

  @Delete(':id/like')
  @ApiOkResponse({ type: PostResponse })
  unlike(@CurrentUser() actor: AuthUser, @Param() { id }: PostIdParam) {
    return this.interactions.unlike(actor, id);
  }

  @Post(':id/repost')
  @HttpCode(200)
  @ApiOkResponse({ type: PostResponse, description: 'Idempotent; public posts only' })
  @ApiProblems([422, 'Only public posts can be reposted'])
  repost(@CurrentUser() actor: AuthUser, @Param() { id }: PostIdParam) {
    return this.interactions.repost(actor, id);
  }

  @Delete(':id/repost')
  @ApiOkResponse({ type: PostResponse })
  unrepost(@CurrentUser() actor: AuthUser, @Param() { id }: PostIdParam) {
    return this.interactions.unrepost(actor, id);
  }

  @Public()
  @Get(':id/likes')
  @ApiOkResponse({ type: UserPageResponse })
  likes(@CurrentUser() viewer: AuthUser | undefined, @Param() { id }: PostIdParam, @Query() query: PageQuery) {
    return this.interactions.likers(viewer, id, query);
  }
}
