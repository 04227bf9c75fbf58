import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

/** `POST /posts/:id/tip` and `POST /conversations/:id/tip` (docs/inbox.md#tips). */
export class TipDto {
  @ApiProperty({ minimum: 100, maximum: 50000, description: "The tip, in cents of the recipient's currency" })
  @IsInt()
  @Min(100)
  @Max(50000)
  amount_cents: number;

  @ApiPropertyOptional({ maxLength: 280, description: 'A note, delivered with the tip as the content of the tip message once paid' })
  @IsOptional()
  @IsString()
  @MaxLength(280)
  message?: string;
}
