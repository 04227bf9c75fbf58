import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { USER_ROLES, UserRole } from '@/modules/users/entities/user.entity';

export class ChangeRoleDto {
  @ApiProperty({ enum: USER_ROLES })
  @IsIn(USER_ROLES, { message: 'role must be "user" or "admin"' })
  role: UserRole;
}
