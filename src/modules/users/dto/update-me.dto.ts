import { ApiPropertyOptional } from '@nestjs/swagger';
import { DM_POLICIES, DmPolicy } from '../entities/user.entity';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min, ValidateIf } from 'class-validator';

export class UpdateMeDto {
  @ApiPropertyOptional({ type: String, maxLength: 100, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  display_name?: string | null;

  @ApiPropertyOptional({ type: String, maxLength: 500, nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  bio?: string | null;

  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'Own, ready image media; null removes the avatar' })
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsUUID()
  avatar_media_id?: string | null;

  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'Own, ready image media; null removes the cover' })
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsUUID()
  cover_media_id?: string | null;

  @ApiPropertyOptional({ type: 'integer', minimum: 100, maximum: 100000, nullable: true, description: 'null: no subscriptions' })
  @ValidateIf((_, v) => v !== null)
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(100000)
  subscription_price_cents?: number | null;

  @ApiPropertyOptional({ enum: DM_POLICIES, description: 'Who may start a conversation with you: `following` is accounts you follow and your subscribers' })
  @IsOptional()
  @IsIn(DM_POLICIES)
  dm_policy?: DmPolicy;
}
