import { ApiProperty } from '@nestjs/swagger';
import { PublicUserResponse } from '@/modules/users/dto/user.response';

export class UserPageResponse {
  @ApiProperty({ type: [PublicUserResponse] }) data: PublicUserResponse[];
  @ApiProperty({ nullable: true, type: String }) next_cursor: string | null;
}
