import { Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { AuthUser } from '@/common/auth/auth-user';
import { CurrentUser, Public } from '@/common/auth/auth.decorators';
import { PageQuery } from '@/common/http/pagination';
import { ApiProblems } from '@/common/openapi/api-problems.decorator';
import { PublicUserResponse, RelationshipResponse } from '@/modules/users/dto/user.response';
import { UsernameParam } from '@/modules/users/dto/username.param';
import { UserPageResponse } from './dto/social.dto';
import { MutingService } from './muting.service';
import { RelationshipsService } from './relationships.service';
import { SocialService } from './social.service';

@ApiTags('profiles')
@ApiBearerAuth()
@Controller('users/:username')
export class SocialController {
  constructor(
    private readonly social: SocialService,
    private readonly relationships: RelationshipsService,
    private readonly muting: MutingService,
  ) {}

  @Public()
  @Get()
  @ApiOkResponse({ type: PublicUserResponse, description: '`relationship` is present for a signed-in viewer' })
  @ApiNotFoundResponse({ description: 'No such user, or suspended' })
  profile(@CurrentUser() viewer: AuthUser | undefined, @Param() { username }: UsernameParam) {
    return this.social.profile(viewer, username);
  }

  @Public()
  @Get('followers')
  @ApiOkResponse({ type: UserPageResponse })
  followers(@CurrentUser() viewer: AuthUser | undefined, @Param() { username }: UsernameParam, @Query() query: PageQuery) {
    return this.social.list(viewer, 'followers', username, query);
  }

  @Public()
  @Get('following')
  @ApiOkResponse({ type: UserPageResponse })
  following(@CurrentUser() viewer: AuthUser | undefined, @Param() { username }: UsernameParam, @Query() query: PageQuery) {
    return this.social.list(viewer, 'following', username, query);
  }

  @Post('follow')
  @HttpCode(200)
  @ApiOkResponse({ type: RelationshipResponse, description: 'Idempotent' })
  @ApiUnprocessableEntityResponse({ description: 'Following yourself' })
  @ApiProblems([403, 'A block stands between you and this user (`forbidden`)'])
  follow(@CurrentUser() actor: AuthUser, @Param() { username }: UsernameParam) {
    return this.relationships.follow(actor, username);
  }

  @Delete('follow')
  @ApiOkResponse({ type: RelationshipResponse })
  @ApiProblems([422, 'Unfollowing yourself'])
  unfollow(@CurrentUser() actor: AuthUser, @Param() { username }: UsernameParam) {
    return this.relationships.unfollow(actor, username);
  }

  @Post('block')
  @HttpCode(200)
  @ApiOkResponse({ type: RelationshipResponse, description: 'Also removes follows both ways' })
  @ApiProblems([422, 'Blocking yourself'])
  block(@CurrentUser() actor: AuthUser, @Param() { username }: UsernameParam) {
    return this.relationships.block(actor, username);
  }

  @Delete('block')
  @ApiOkResponse({ type: RelationshipResponse })
  unblock(@CurrentUser() actor: AuthUser, @Param() { username }: UsernameParam) {
    return this.relationships.unblock(actor, username);
  }

  @Post('mute')
  @HttpCode(200)
  @ApiOkResponse({ type: RelationshipResponse })
  @ApiProblems([422, 'Muting yourself'])
  mute(@CurrentUser() actor: AuthUser, @Param() { username }: UsernameParam) {
    return this.muting.mute(actor, username);
  }

  @Delete('mute')
  @ApiOkResponse({ type: RelationshipResponse })
  unmute(@CurrentUser() actor: AuthUser, @Param() { username }: UsernameParam) {
    return this.muting.unmute(actor, username);
  }
}
