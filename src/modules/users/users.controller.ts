import { Body, Controller, Get, Param, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser } from '@/common/auth/auth-user';
import { CurrentUser, Public } from '@/common/auth/auth.decorators';
import { OwnUserResponse, PublicUserResponse } from './dto/user.response';
import { UpdateMeDto } from './dto/update-me.dto';
import { UsernameParam } from './dto/username.param';
import { UsersService } from './users.service';

@ApiTags('profiles')
@ApiBearerAuth()
@Controller()
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @ApiOkResponse({ type: OwnUserResponse })
  me(@CurrentUser() actor: AuthUser) {
    return this.users.getOwn(actor);
  }

  @Patch('me')
  @ApiOkResponse({ type: OwnUserResponse })
  updateMe(@CurrentUser() actor: AuthUser, @Body() dto: UpdateMeDto) {
    return this.users.updateOwn(actor, dto);
  }

  @Public()
  @Get('users/:username')
  @ApiOkResponse({ type: PublicUserResponse, description: '`relationship` is present for a signed-in viewer' })
  @ApiNotFoundResponse({ description: 'No such user, or suspended' })
  profile(@CurrentUser() viewer: AuthUser | undefined, @Param() { username }: UsernameParam) {
    return this.users.getProfile(viewer, username);
  }
}
