import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

export class GoogleExchangeDto {
  @ApiProperty({ description: 'The one-time code the app received at `redirect_uri?code=` (valid 60 seconds, once)', maxLength: 200 })
  @IsString()
  @Length(1, 200)
  code: string;
}
