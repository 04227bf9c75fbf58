import { Body, Controller, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { AuthUser } from '@/common/auth/auth-user';
import { CurrentUser, Roles } from '@/common/auth/auth.decorators';
import { ApiProblems } from '@/common/openapi/api-problems.decorator';
import { OwnUserResponse } from '@/modules/users/dto/user.response';
import { UsernameParam } from '@/modules/users/dto/username.param';
import { AdminService } from './admin.service';
import { ChangeRoleDto } from './dto/change-role.dto';

@ApiTags('admin')
@ApiBearerAuth()
@ApiForbiddenResponse({ description: 'Not an admin (`forbidden`)' })
@Roles('admin')
@Controller('admin/users/:username')
export class AdminController {
  constructor(private readonly admin: AdminService) {}

  @Post('verify')
  @HttpCode(200)
  @ApiOkResponse({ type: OwnUserResponse })
  verify(@CurrentUser() actor: AuthUser, @Param() { username }: UsernameParam) {
    return this.admin.verify(actor, username);
  }

  @Post('suspend')
  @HttpCode(200)
  @ApiOkResponse({ type: OwnUserResponse, description: 'Their sessions are revoked at once; their posts leave timelines' })
  @ApiProblems([422, 'Admins cannot suspend themselves'])
  suspend(@CurrentUser() actor: AuthUser, @Param() { username }: UsernameParam) {
    return this.admin.suspend(actor, username);
  }

  @Post('unsuspend')
  @HttpCode(200)
  @ApiOkResponse({ type: OwnUserResponse })
  unsuspend(@CurrentUser() actor: AuthUser, @Param() { username }: UsernameParam) {
    return this.admin.unsuspend(actor, username);
  }

  @Patch('role')
  @ApiOkResponse({ type: OwnUserResponse })
  @ApiProblems([422, 'Admins cannot demote themselves'])
  changeRole(@CurrentUser() actor: AuthUser, @Param() { username }: UsernameParam, @Body() dto: ChangeRoleDto) {
    return this.admin.changeRole(actor, username, dto.role);
  }
}
