import { Body, Controller, Get, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { AuthUser } from '@/common/auth/auth-user';
import { CurrentUser } from '@/common/auth/auth.decorators';
import { OwnUserResponse } from './dto/user.response';
import { UpdateMeDto } from './dto/update-me.dto';
import { ProfileService } from './profile.service';

@ApiTags('profiles')
@ApiBearerAuth()
@Controller()
export class UsersController {
  constructor(private readonly profiles: ProfileService) {}

  @Get('me')
  @ApiOkResponse({ type: OwnUserResponse })
  me(@CurrentUser() actor: AuthUser) {
    return this.profiles.getOwn(actor);
  }

  @Patch('me')
  @ApiOkResponse({ type: OwnUserResponse })
  @ApiUnprocessableEntityResponse({
    description: 'An avatar or cover that is not your processed image; a subscription price without a payout account that can take payments (field `payouts`, CONNECT_REQUIRED=true)',
  })
  updateMe(@CurrentUser() actor: AuthUser, @Body() dto: UpdateMeDto) {
    return this.profiles.updateOwn(actor, dto);
  }
}
