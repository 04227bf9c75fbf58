import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

export class UsernameParam {
  @ApiProperty()
  @IsString()
  @MaxLength(50)
  username: string;
}
